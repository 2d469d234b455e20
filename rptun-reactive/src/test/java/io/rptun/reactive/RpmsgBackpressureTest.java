package io.rptun.reactive;

import static io.rptun.reactive.ReactiveTestSupport.WAIT;
import static io.rptun.reactive.ReactiveTestSupport.assertNoHeldBuffers;
import static io.rptun.reactive.ReactiveTestSupport.await;
import static io.rptun.reactive.ReactiveTestSupport.ignore;
import static io.rptun.reactive.ReactiveTestSupport.ints;
import static io.rptun.reactive.ReactiveTestSupport.reactiveReason;
import static org.assertj.core.api.Assertions.assertThat;

import io.rptun.core.loopback.RpmsgLoopback;
import io.rptun.core.rpmsg.RpmsgMessage;
import io.rptun.reactive.ReactiveTestSupport.Bound;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.reactivestreams.Subscription;
import reactor.core.publisher.BaseSubscriber;
import reactor.test.StepVerifier;

/**
 * Backpressure end to end: a slow receiver slows the remote through the rings, nothing is lost or duplicated,
 * and what a channel holds stays within its bound, under each overflow policy, also next to a fast channel on
 * the same device.
 */
@Timeout(60)
class RpmsgBackpressureTest {
    private static final int BOUND = 16;
    private static final Duration LONG_WAIT = Duration.ofSeconds(40);
    /** What one copied 4-byte message counts against the copy budgets. */
    private static final long CHARGE = 4 + ReactiveOptions.COPY_OVERHEAD;

    private RpmsgLoopback loop;
    private RpmsgReactive rpmsg;
    private final List<Thread> senders = new ArrayList<>();

    private void start(ReactiveOptions options) {
        loop = ReactiveTestSupport.loopback();
        rpmsg = RpmsgReactive.create(loop.host(), options);
    }

    @AfterEach
    void stop() throws InterruptedException {
        rpmsg.dispose();
        loop.close(); // fails any sender still waiting for a TX buffer
        for (Thread t : senders) {
            assertThat(t.join(WAIT)).isTrue();
        }
    }

    /** The remote sends 0..count-1 on its own thread with blocking sends (it waits whenever the host is behind). */
    private CompletableFuture<Integer> remoteSends(Bound b, int count) {
        CompletableFuture<Integer> done = new CompletableFuture<>();
        senders.add(Thread.ofPlatform().name("remote-sender-" + b.channel().name()).start(
                () -> done.complete(ReactiveTestSupport.sendSequence(b.remote(), 0, count))));
        return done;
    }

    /**
     * Requests one message at a time and checks the sequence. Every {@code stallEvery} messages it stops
     * requesting until the channel has paused (or copied) once more: a receiver that is behind, made
     * deterministic.
     */
    private static final class SlowReceiver extends BaseSubscriber<RpmsgMessage> {
        private final RpmsgChannel channel;
        private final int stallEvery;
        private final int stallBefore;
        private final List<Thread> helpers = new java.util.concurrent.CopyOnWriteArrayList<>();
        private final CountDownLatch done = new CountDownLatch(1);
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private final AtomicInteger next = new AtomicInteger();

        /** Stalls every {@code stallEvery} messages (0: never) while more than the bound is still to come. */
        SlowReceiver(RpmsgChannel channel, int stallEvery, int total) {
            this.channel = channel;
            this.stallEvery = stallEvery;
            this.stallBefore = total - 4 * BOUND;
        }

        @Override
        protected void hookOnSubscribe(Subscription subscription) {
            request(1);
        }

        @Override
        protected void hookOnNext(RpmsgMessage m) {
            int expected = next.getAndIncrement();
            if (m.getIntLE(0) != expected) {
                failure.set(new AssertionError("expected " + expected + " but got " + m.getIntLE(0)));
                cancel();
                done.countDown();
                return;
            }
            if (stallEvery > 0 && expected % stallEvery == stallEvery - 1 && expected < stallBefore) {
                ChannelStats before = channel.stats();
                // Not inside onNext (the serving thread or the draining thread): the queue fills behind us.
                helpers.add(Thread.ofPlatform().name("slow-receiver").start(() -> {
                    await("the channel fell behind", () -> channel.stats().pauses() > before.pauses()
                            || channel.stats().copied() > 0);
                    request(1);
                }));
                return;
            }
            request(1);
        }

        @Override
        protected void hookOnComplete() {
            done.countDown();
        }

        @Override
        protected void hookOnError(Throwable t) {
            failure.set(t);
            done.countDown();
        }

        int awaitCount(Duration timeout) throws InterruptedException {
            assertThat(done.await(timeout.toMillis(), TimeUnit.MILLISECONDS)).as("receive ended").isTrue();
            assertThat(failure.get()).isNull();
            for (Thread t : helpers) {
                assertThat(t.join(WAIT)).isTrue();
            }
            return next.get();
        }
    }

    @Test
    void underPauseASlowReceiverGetsTwentyThousandMessagesInOrderWhileHoldingAtMostTheBound() throws Exception {
        start(ReactiveOptions.defaults().withReceiveBound(BOUND).withOverflow(ReceiveOverflow.PAUSE));
        Bound b = ReactiveTestSupport.open(rpmsg, loop, "slow", ignore());
        int total = 20_000;
        SlowReceiver receiver = new SlowReceiver(b.channel(), 2_000, total);
        b.channel().receive().subscribe(receiver);
        CompletableFuture<Integer> sent = remoteSends(b, total);
        assertThat(sent.get(LONG_WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(total);
        b.remote().destroy(); // receive completes after the last one
        assertThat(receiver.awaitCount(LONG_WAIT)).isEqualTo(total);
        ChannelStats stats = b.channel().stats();
        assertThat(stats.maxHeld()).as("held at most the bound, all along").isLessThanOrEqualTo(BOUND);
        assertThat(stats.maxQueued()).as("and nothing on the heap beyond it").isLessThanOrEqualTo(BOUND);
        assertThat(stats.pauses()).as("the remote was slowed through the ring").isPositive();
        assertThat(stats.dropped()).isZero();
        assertThat(stats.delivered()).isEqualTo(total);
        assertNoHeldBuffers(b.channel());
    }

    @Test
    void underPauseAFastAndASlowChannelSideBySideLoseNothingAndTheSlowOneHoldsAtMostTheBound() throws Exception {
        start(ReactiveOptions.defaults().withReceiveBound(BOUND).withOverflow(ReceiveOverflow.PAUSE));
        Bound fast = ReactiveTestSupport.open(rpmsg, loop, "fast", ignore());
        Bound slow = ReactiveTestSupport.open(rpmsg, loop, "slow", ignore());
        int total = 3_000;
        SlowReceiver slowReceiver = new SlowReceiver(slow.channel(), 500, total);
        SlowReceiver fastReceiver = new SlowReceiver(fast.channel(), 0, total);
        fast.channel().receive().subscribe(fastReceiver);
        slow.channel().receive().subscribe(slowReceiver);
        CompletableFuture<Integer> fastSent = remoteSends(fast, total);
        CompletableFuture<Integer> slowSent = remoteSends(slow, total);
        assertThat(fastSent.get(LONG_WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(total);
        assertThat(slowSent.get(LONG_WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(total);
        fast.remote().destroy();
        slow.remote().destroy();
        assertThat(fastReceiver.awaitCount(LONG_WAIT)).isEqualTo(total);
        assertThat(slowReceiver.awaitCount(LONG_WAIT)).isEqualTo(total);
        assertThat(slow.channel().stats().maxHeld()).isLessThanOrEqualTo(BOUND);
        assertThat(slow.channel().stats().maxQueued()).isLessThanOrEqualTo(BOUND);
        assertThat(slow.channel().stats().pauses()).isPositive();
        assertThat(fast.channel().stats().maxHeld()).isLessThanOrEqualTo(BOUND);
        assertThat(loop.host().stats().droppedTotal()).isZero();
        assertNoHeldBuffers(loop.host());
    }

    @Test
    void underCopyTheFastChannelFinishesWhileTheSlowOneRequestsNothingAndTheSlowOneStillGetsEverythingInOrder()
            throws Exception {
        int total = 2_000;
        start(ReactiveOptions.defaults().withReceiveBound(BOUND).withOverflow(ReceiveOverflow.COPY)
                .withCopyBudget((long) total * CHARGE));
        Bound fast = ReactiveTestSupport.open(rpmsg, loop, "fast", ignore());
        Bound slow = ReactiveTestSupport.open(rpmsg, loop, "slow", ignore());
        SlowReceiver fastReceiver = new SlowReceiver(fast.channel(), 0, total);
        fast.channel().receive().subscribe(fastReceiver);
        CompletableFuture<Integer> slowSent = remoteSends(slow, total);
        CompletableFuture<Integer> fastSent = remoteSends(fast, total);
        // Nobody reads the slow channel: past its bound it copies and gives the RX buffers back, so the fast
        // one never waits behind it.
        assertThat(fastSent.get(LONG_WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(total);
        assertThat(slowSent.get(LONG_WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(total);
        fast.remote().destroy();
        assertThat(fastReceiver.awaitCount(LONG_WAIT)).isEqualTo(total);
        await("the slow one has it all", () -> slow.channel().stats().held() + slow.channel().stats().copied() == total);
        assertThat(slow.channel().stats().held()).isEqualTo(BOUND);
        assertThat(loop.host().heldRxBuffers()).as("RX buffers held: only the slow one's bound").isEqualTo(BOUND);
        assertThat(slow.channel().stats().pauses()).isZero();

        slow.remote().destroy();
        SlowReceiver slowReceiver = new SlowReceiver(slow.channel(), 0, total);
        slow.channel().receive().subscribe(slowReceiver);
        assertThat(slowReceiver.awaitCount(LONG_WAIT)).isEqualTo(total);
        assertThat(slow.channel().stats().maxHeld()).isEqualTo(BOUND);
        assertThat(slow.channel().stats().maxQueued()).isEqualTo(total);
        assertNoHeldBuffers(loop.host());
    }

    @Test
    void underTheDefaultPastTheCopyBudgetDeliveryPausesAndResumesLosingNothing() throws Exception {
        long budget = 16L * CHARGE;
        start(ReactiveOptions.defaults().withReceiveBound(BOUND).withCopyBudget(budget));
        Bound b = ReactiveTestSupport.open(rpmsg, loop, "limit", ignore());
        int total = 500;
        CompletableFuture<Integer> sent = remoteSends(b, total);
        await("paused at the bound and the copy budget", () -> b.channel().stats().pauses() == 1);
        ChannelStats paused = b.channel().stats();
        assertThat(paused.pausing()).isTrue();
        assertThat(paused.held()).isEqualTo(BOUND);
        // It pauses once a message of the largest size would no longer fit the budget: it never overshoots.
        long largest = b.channel().maxPayload() + ReactiveOptions.COPY_OVERHEAD;
        assertThat(paused.copiedBytes()).isLessThanOrEqualTo(budget).isGreaterThan(budget - largest);
        assertThat(paused.copiedBytes()).isEqualTo((long) paused.copied() * CHARGE);
        int copies = paused.copied();
        SlowReceiver receiver = new SlowReceiver(b.channel(), 100, total);
        b.channel().receive().subscribe(receiver);
        assertThat(sent.get(LONG_WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(total);
        b.remote().destroy();
        assertThat(receiver.awaitCount(LONG_WAIT)).isEqualTo(total);
        assertThat(b.channel().stats().maxHeld()).isLessThanOrEqualTo(BOUND);
        assertThat(b.channel().stats().maxQueued()).isLessThanOrEqualTo(BOUND + copies);
        assertThat(b.channel().stats().maxCopiedBytes()).isLessThanOrEqualTo(budget);
        assertThat(b.channel().stats().pausing()).isFalse();
        assertThat(rpmsg.copiedBytes()).as("the device budget is all back").isZero();
        assertNoHeldBuffers(b.channel());
    }

    @Test
    void underTheDefaultTwoUnreadChannelsHoldAtMostHalfTheRingSoAThirdOneKeepsFlowing() throws Exception {
        start(ReactiveOptions.defaults().withReceiveBound(BOUND));
        Bound x = ReactiveTestSupport.open(rpmsg, loop, "unread-x", ignore());
        Bound y = ReactiveTestSupport.open(rpmsg, loop, "unread-y", ignore());
        Bound fast = ReactiveTestSupport.open(rpmsg, loop, "fast", ignore());
        int unread = 200;
        int total = 3_000;
        CompletableFuture<Integer> xSent = remoteSends(x, unread);
        CompletableFuture<Integer> ySent = remoteSends(y, unread);
        assertThat(xSent.get(LONG_WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(unread);
        assertThat(ySent.get(LONG_WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(unread);
        // Each alone could hold its bound (16), two of them the whole 32-buffer ring; together they hold half.
        await("both have it all", () -> x.channel().stats().held() + x.channel().stats().copied() == unread
                && y.channel().stats().held() + y.channel().stats().copied() == unread);
        assertThat(x.channel().stats().held() + y.channel().stats().held()).isEqualTo(ReactiveTestSupport.RING / 2);
        assertThat(loop.host().heldRxBuffers()).isEqualTo(ReactiveTestSupport.RING / 2);

        SlowReceiver fastReceiver = new SlowReceiver(fast.channel(), 0, total);
        fast.channel().receive().subscribe(fastReceiver);
        CompletableFuture<Integer> fastSent = remoteSends(fast, total);
        assertThat(fastSent.get(LONG_WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(total);
        fast.remote().destroy();
        assertThat(fastReceiver.awaitCount(LONG_WAIT)).isEqualTo(total);
        assertThat(x.channel().stats().pauses() + y.channel().stats().pauses()).isZero();
        assertThat(rpmsg.copiedBytes()).isEqualTo((2L * unread - ReactiveTestSupport.RING / 2) * CHARGE);

        x.remote().destroy();
        y.remote().destroy();
        SlowReceiver xReceiver = new SlowReceiver(x.channel(), 0, unread);
        SlowReceiver yReceiver = new SlowReceiver(y.channel(), 0, unread);
        x.channel().receive().subscribe(xReceiver);
        y.channel().receive().subscribe(yReceiver);
        assertThat(xReceiver.awaitCount(LONG_WAIT)).isEqualTo(unread);
        assertThat(yReceiver.awaitCount(LONG_WAIT)).isEqualTo(unread);
        assertThat(rpmsg.copiedBytes()).isZero();
        assertNoHeldBuffers(loop.host());
    }

    @Test
    void underDropMessagesPastTheBoundAreCountedAndTheRestArriveInOrder() {
        start(ReactiveOptions.defaults().withReceiveBound(4).withOverflow(ReceiveOverflow.DROP));
        Bound b = ReactiveTestSupport.open(rpmsg, loop, "drop", ignore());
        StepVerifier.create(b.channel().receive().map(m -> m.getIntLE(0)), 0)
                .then(() -> {
                    assertThat(ReactiveTestSupport.sendSequence(b.remote(), 0, 100)).isEqualTo(100);
                    await("all seen", () -> b.channel().stats().held() + b.channel().stats().dropped() == 100);
                })
                .thenRequest(10)
                .expectNext(0, 1, 2, 3)
                .then(() -> b.remote().send(ints(100)))
                .expectNext(100)
                .thenCancel()
                .verify(WAIT);
        assertThat(b.channel().stats().dropped()).isEqualTo(96);
        assertThat(b.channel().stats().pauses()).isZero();
        assertNoHeldBuffers(b.channel());
    }

    @Test
    void underErrorFallingBehindFailsReceiveTypedAndReleasesWhatWasHeld() {
        start(ReactiveOptions.defaults().withReceiveBound(4).withOverflow(ReceiveOverflow.ERROR));
        Bound b = ReactiveTestSupport.open(rpmsg, loop, "error", ignore());
        StepVerifier.create(b.channel().receive(), 0)
                .then(() -> ReactiveTestSupport.sendSequence(b.remote(), 0, 5))
                .expectErrorSatisfies(reactiveReason(RpmsgReactiveException.Reason.RECEIVE_OVERFLOW))
                .verify(WAIT);
        assertNoHeldBuffers(b.channel());
    }
}
