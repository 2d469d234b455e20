package io.rptun.reactive;

import static io.rptun.reactive.ReactiveTestSupport.WAIT;
import static io.rptun.reactive.ReactiveTestSupport.await;
import static io.rptun.reactive.ReactiveTestSupport.ignore;
import static io.rptun.reactive.ReactiveTestSupport.ints;
import static io.rptun.reactive.ReactiveTestSupport.reactiveReason;
import static io.rptun.reactive.ReactiveTestSupport.rpmsgReason;
import static org.assertj.core.api.Assertions.assertThat;

import io.rptun.core.loopback.RpmsgLoopback;
import io.rptun.core.rpmsg.RpmsgException;
import io.rptun.core.rpmsg.RpmsgMessage;
import io.rptun.reactive.ReactiveTestSupport.Bound;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** {@code send...(Publisher)}: completion on the ring, bounded prefetch refilled as TX buffers free, cancel, payloads. */
@Timeout(60)
class RpmsgChannelSendTest {
    private static final int PREFETCH = 8;
    /** For the paced test on a busy machine (a hang guard, not a timing assertion). */
    private static final java.time.Duration LONG_WAIT = java.time.Duration.ofSeconds(30);

    private RpmsgLoopback loop;
    private RpmsgReactive rpmsg;

    @BeforeEach
    void start() {
        loop = ReactiveTestSupport.loopback();
        rpmsg = RpmsgReactive.create(loop.host(), ReactiveOptions.defaults().withSendPrefetch(PREFETCH));
    }

    @AfterEach
    void stop() {
        rpmsg.dispose();
        loop.close();
    }

    private static <T> T take(BlockingQueue<T> q) throws InterruptedException {
        T v = q.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(v).as("arrived in time").isNotNull();
        return v;
    }

    @Test
    void thenCompletesWhenEveryMessageIsOnTheRingAndTheRemoteGetsThemAllInOrder() throws Exception {
        BlockingQueue<Integer> atRemote = new LinkedBlockingQueue<>();
        Bound b = ReactiveTestSupport.open(rpmsg, loop, "send", (ep, msg) -> atRemote.add(msg.getIntLE(0)));
        long sentBefore = loop.host().stats().sent();
        StepVerifier.create(b.channel().sendBytes(Flux.range(0, 500).map(i -> ints(i))).then())
                .verifyComplete();
        assertThat(loop.host().stats().sent() - sentBefore).as("all on the ring when then() completed").isEqualTo(500);
        for (int i = 0; i < 500; i++) {
            assertThat(take(atRemote)).isEqualTo(i);
        }
    }

    @Test
    void aSynchronousPublishersElementsGoOutInBatchesNotOnePublicationEach() throws Exception {
        int total = 800;
        int prefetch = 64;
        RpmsgReactive wide = RpmsgReactive.create(loop.host(), ReactiveOptions.defaults().withSendPrefetch(prefetch));
        try {
            BlockingQueue<Integer> atRemote = new LinkedBlockingQueue<>();
            Bound b = ReactiveTestSupport.open(wide, loop, "batched", (ep, msg) -> atRemote.add(msg.getIntLE(0)));
            var before = loop.host().stats();
            // Flux.range emits inside the subscriber's request call, one onNext at a time.
            StepVerifier.create(b.channel().sendBytes(Flux.range(0, total).map(i -> ints(i))).then()).verifyComplete();
            var after = loop.host().stats();
            long publications = after.txPublications() - before.txPublications();
            assertThat(after.sent() - before.sent()).isEqualTo(total);
            // Each request brings up to 64 elements at once, published together as TX buffers allow (25 here).
            // Sent one by one as they arrived, they took about 70 (one per element whenever the remote kept up).
            assertThat(publications).as("publications for %d messages", total).isLessThanOrEqualTo(total / 16);
            for (int i = 0; i < total; i++) {
                assertThat(take(atRemote)).isEqualTo(i);
            }
        } finally {
            wide.dispose();
        }
    }

    @Test
    void whatASynchronousPublisherEmittedBeforeItsErrorIsStillSentThenTheErrorArrives() throws Exception {
        BlockingQueue<Integer> atRemote = new LinkedBlockingQueue<>();
        Bound b = ReactiveTestSupport.open(rpmsg, loop, "then-fails", (ep, msg) -> atRemote.add(msg.getIntLE(0)));
        IllegalStateException boom = new IllegalStateException("boom");
        // Five elements and the error, all inside the first request call: queued, not yet sent, when it fails.
        Flux<byte[]> source = Flux.<byte[], Integer>generate(() -> 0, (i, sink) -> {
            if (i < 5) {
                sink.next(ints(i));
            } else {
                sink.error(boom);
            }
            return i + 1;
        });
        StepVerifier.create(b.channel().sendBytes(source).then()).expectErrorMatches(e -> e == boom).verify(WAIT);
        for (int i = 0; i < 5; i++) {
            assertThat(take(atRemote)).isEqualTo(i);
        }
    }

    @Test
    void anElementEmittedLaterOnAnotherThreadIsSentAtOnceNotHeldForABatch() throws Exception {
        BlockingQueue<Integer> atRemote = new LinkedBlockingQueue<>();
        Bound b = ReactiveTestSupport.open(rpmsg, loop, "trickle", (ep, msg) -> atRemote.add(msg.getIntLE(0)));
        reactor.core.publisher.Sinks.Many<byte[]> sink = reactor.core.publisher.Sinks.many().unicast().onBackpressureBuffer();
        AtomicBoolean completed = new AtomicBoolean();
        b.channel().sendBytes(sink.asFlux()).then().subscribe(null, e -> { }, () -> completed.set(true));
        // Outstanding demand stays above zero the whole time: each element must still go out on its own.
        for (int i = 0; i < 3; i++) {
            int v = i;
            Thread t = Thread.ofPlatform().start(() -> sink.tryEmitNext(ints(v)));
            t.join();
            assertThat(take(atRemote)).isEqualTo(i);
        }
        sink.tryEmitComplete();
        await("the send completed", completed::get);
    }

    @Test
    void byteBuffersAndZeroCopyWritersArriveAsWritten() throws Exception {
        BlockingQueue<String> atRemote = new LinkedBlockingQueue<>();
        Bound b = ReactiveTestSupport.open(rpmsg, loop, "payloads", (ep, msg) -> atRemote.add(msg.asString()));
        ByteBuffer direct = ByteBuffer.allocateDirect(16).put("direct".getBytes(StandardCharsets.UTF_8)).flip();
        ByteBuffer heap = ByteBuffer.wrap("xxheap".getBytes(StandardCharsets.UTF_8), 2, 4);
        StepVerifier.create(b.channel().sendByteBuffers(Flux.just(direct, heap)).then()).verifyComplete();
        assertThat(direct.remaining()).as("the buffer's position is left alone").isEqualTo(6);
        RpmsgWriter writer = payload -> {
            byte[] text = "in place".getBytes(StandardCharsets.UTF_8);
            java.lang.foreign.MemorySegment.copy(text, 0, payload, ValueLayout.JAVA_BYTE, 0, text.length);
            return text.length;
        };
        StepVerifier.create(b.channel().sendWith(Mono.just(writer)).then()).verifyComplete();
        assertThat(take(atRemote)).isEqualTo("direct");
        assertThat(take(atRemote)).isEqualTo("heap");
        assertThat(take(atRemote)).isEqualTo("in place");
    }

    @Test
    void aPayloadThatDoesNotFitOrAWriterThatLiesFailsTypedAndLosesNoTxBuffer() {
        BlockingQueue<RpmsgMessage> held = new LinkedBlockingQueue<>();
        Bound b = ReactiveTestSupport.open(rpmsg, loop, "limits", (ep, msg) -> held.add(msg.hold()));
        StepVerifier.create(b.channel().sendBytes(Mono.just(new byte[b.channel().maxPayload() + 1])).then())
                .expectErrorSatisfies(rpmsgReason(RpmsgException.Reason.PAYLOAD_TOO_LARGE))
                .verify(WAIT);
        StepVerifier.create(b.channel().sendWith(Mono.just(payload -> (int) payload.byteSize() + 1)).then())
                .expectErrorSatisfies(reactiveReason(RpmsgReactiveException.Reason.BAD_WRITE_LENGTH))
                .verify(WAIT);
        // Every TX buffer is still there: with the remote holding all it gets, the host fills the whole ring.
        int sent = 0;
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (sent < ReactiveTestSupport.RING && System.nanoTime() < deadline) {
            if (b.channel().endpoint().trySend(ints(sent))) {
                sent++;
            } else {
                LockSupport.parkNanos(100_000);
            }
        }
        assertThat(sent).isEqualTo(ReactiveTestSupport.RING);
        await("all held at the remote", () -> held.size() == ReactiveTestSupport.RING);
        assertThat(b.channel().endpoint().trySend(ints(-1))).isFalse();
        held.forEach(RpmsgMessage::release);
    }

    @Test
    void theUpstreamNeverHasMoreThanThePrefetchRequestedButUnsentAndNothingIsLostOrDuplicated() throws Exception {
        int total = 3000;
        BlockingQueue<RpmsgMessage> held = new LinkedBlockingQueue<>();
        // A slow remote: it holds what arrives and releases it from another thread, so the host runs out of
        // TX buffers again and again and the send waits for the TX-available listener.
        Bound b = ReactiveTestSupport.open(rpmsg, loop, "paced", (ep, msg) -> held.add(msg.hold()));
        List<Integer> got = new ArrayList<>();
        Thread releaser = Thread.ofPlatform().name("remote-consumer").start(() -> {
            try {
                for (int i = 0; i < total; i++) {
                    RpmsgMessage m = held.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
                    if (m == null) {
                        return;
                    }
                    got.add(m.getIntLE(0));
                    m.release();
                    if (i % 64 == 0) {
                        LockSupport.parkNanos(500_000);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        long base = loop.host().stats().sent();
        AtomicLong requested = new AtomicLong();
        AtomicLong worstOutstanding = new AtomicLong();
        Flux<byte[]> source = Flux.range(0, total).map(i -> ints(i)).doOnRequest(n -> {
            long unsent = requested.get() - (loop.host().stats().sent() - base);
            worstOutstanding.accumulateAndGet(unsent + n, Math::max);
            requested.addAndGet(n);
        });
        StepVerifier.create(b.channel().sendBytes(source).then()).expectComplete().verify(LONG_WAIT);
        assertThat(releaser.join(WAIT)).isTrue();
        assertThat(worstOutstanding.get()).as("requested but unsent, at worst").isLessThanOrEqualTo(PREFETCH);
        assertThat(got).hasSize(total);
        for (int i = 0; i < total; i++) {
            assertThat(got.get(i)).isEqualTo(i);
        }
    }

    @Test
    void cancellingASendStopsRequestingFromTheUpstream() throws Exception {
        BlockingQueue<RpmsgMessage> held = new LinkedBlockingQueue<>();
        Bound b = ReactiveTestSupport.open(rpmsg, loop, "cancel", (ep, msg) -> held.add(msg.hold()));
        AtomicLong requested = new AtomicLong();
        AtomicBoolean cancelled = new AtomicBoolean();
        AtomicInteger next = new AtomicInteger();
        Flux<byte[]> endless = Flux.<byte[]>generate(sink -> sink.next(ints(next.getAndIncrement())))
                .doOnRequest(requested::addAndGet)
                .doOnCancel(() -> cancelled.set(true));
        var subscription = b.channel().sendBytes(endless).then().subscribe();
        await("the remote holds every host TX buffer", () -> held.size() == ReactiveTestSupport.RING);
        long stalledAt = requested.get();
        assertThat(stalledAt).as("the whole ring plus at most the prefetch").isLessThanOrEqualTo(
                ReactiveTestSupport.RING + PREFETCH);
        subscription.dispose();
        assertThat(cancelled).isTrue();
        // Buffers come free again: nobody asks the upstream for more.
        for (RpmsgMessage m : held) {
            m.release();
        }
        // Two messages the other way: the host's pass that takes the second starts after the pass (and the
        // TX-available call) that followed the releases.
        b.remote().send(ints(-1));
        b.remote().send(ints(-2));
        await("both arrived", () -> b.channel().stats().held() == 2);
        assertThat(requested.get()).isEqualTo(stalledAt);
    }

    @Test
    void aReplySentFromInsideOnNextOnTheServingThreadNeverBlocksItEvenWithoutTxBuffers() throws Exception {
        BlockingQueue<RpmsgMessage> repliesHeld = new LinkedBlockingQueue<>();
        Bound echo = ReactiveTestSupport.open(rpmsg, loop, "echo", (ep, msg) -> repliesHeld.add(msg.hold()));
        BlockingQueue<Integer> other = new LinkedBlockingQueue<>();
        Bound side = ReactiveTestSupport.open(rpmsg, loop, "side", ignore());
        AtomicInteger repliesDone = new AtomicInteger();
        AtomicBoolean onServingThread = new AtomicBoolean();
        echo.channel().receive().subscribe(m -> {
            if (Thread.currentThread().getName().endsWith("-rpmsg")) {
                onServingThread.set(true);
            }
            echo.channel().sendBytes(Mono.just(m.toByteArray())).then().subscribe(v -> { }, e -> { },
                    repliesDone::incrementAndGet);
        });
        side.channel().receive().subscribe(m -> other.add(m.getIntLE(0)));
        // More requests than the host has TX buffers, and the remote releases no reply.
        int requests = ReactiveTestSupport.RING + 8;
        for (int i = 0; i < requests; i++) {
            echo.remote().send(ints(i));
        }
        await("the ring's worth of replies went out", () -> repliesHeld.size() == ReactiveTestSupport.RING);
        // The serving thread is free: another channel still receives.
        side.remote().send(ints(77));
        assertThat(take(other)).isEqualTo(77);
        assertThat(repliesDone.get()).isLessThan(requests);
        List<Integer> replies = new ArrayList<>();
        while (replies.size() < requests) {
            RpmsgMessage m = take(repliesHeld);
            replies.add(m.getIntLE(0));
            m.release();
        }
        assertThat(replies).containsExactlyElementsOf(java.util.stream.IntStream.range(0, requests).boxed().toList());
        await("every reply completed", () -> repliesDone.get() == requests);
        assertThat(onServingThread).as("demand present: emitted in the core callback").isTrue();
    }

    @Test
    void sendingOnAClosedChannelFailsWithChannelClosed() {
        Bound b = ReactiveTestSupport.open(rpmsg, loop, "closed", ignore());
        b.channel().close().block(WAIT);
        StepVerifier.create(b.channel().sendBytes(Mono.just(ints(1))).then())
                .expectErrorSatisfies(reactiveReason(RpmsgReactiveException.Reason.CHANNEL_CLOSED))
                .verify(WAIT);
    }

    @Test
    void aSendWaitingForTxBuffersFailsWithChannelClosedWhenTheChannelCloses() throws InterruptedException {
        BlockingQueue<RpmsgMessage> held = new LinkedBlockingQueue<>();
        Bound b = ReactiveTestSupport.open(rpmsg, loop, "waiting", (ep, msg) -> held.add(msg.hold()));
        // Closing sends an NS destroy, which needs a TX buffer: the remote gives them back once the endpoint
        // is marked destroyed (and so no longer sends).
        Thread releaser = Thread.ofPlatform().name("remote-release").unstarted(() -> {
            await("destroyed", () -> b.channel().endpoint().isDestroyed());
            held.forEach(RpmsgMessage::release);
        });
        StepVerifier.create(b.channel().sendBytes(Flux.range(0, 10 * ReactiveTestSupport.RING).map(i -> ints(i))).then())
                .then(() -> await("stalled", () -> held.size() == ReactiveTestSupport.RING))
                .then(() -> {
                    releaser.start();
                    b.channel().dispose();
                })
                .expectErrorSatisfies(reactiveReason(RpmsgReactiveException.Reason.CHANNEL_CLOSED))
                .verify(WAIT);
        assertThat(releaser.join(WAIT)).isTrue();
    }
}
