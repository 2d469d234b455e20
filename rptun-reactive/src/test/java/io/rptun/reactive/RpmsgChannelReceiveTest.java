package io.rptun.reactive;

import static io.rptun.reactive.ReactiveTestSupport.WAIT;
import static io.rptun.reactive.ReactiveTestSupport.assertNoHeldBuffers;
import static io.rptun.reactive.ReactiveTestSupport.await;
import static io.rptun.reactive.ReactiveTestSupport.ignore;
import static io.rptun.reactive.ReactiveTestSupport.ints;
import static io.rptun.reactive.ReactiveTestSupport.reactiveReason;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rptun.core.loopback.RpmsgLoopback;
import io.rptun.core.rpmsg.RpmsgMessage;
import io.rptun.reactive.ReactiveTestSupport.Bound;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/** {@link RpmsgChannel#receive()}: demand drives the ring, one receiver at a time, buffer lifetime, the end. */
@Timeout(60)
class RpmsgChannelReceiveTest {
    private static final int BOUND = 4;

    private RpmsgLoopback loop;
    private RpmsgReactive rpmsg;

    @BeforeEach
    void start() {
        loop = ReactiveTestSupport.loopback();
        rpmsg = RpmsgReactive.create(loop.host(), ReactiveOptions.defaults().withReceiveBound(BOUND));
    }

    @AfterEach
    void stop() {
        rpmsg.dispose();
        loop.close();
    }

    /** Sends with trySend until the remote has no TX buffer left; returns how many went. */
    private static int fillTheRing(Bound b) {
        int sent = 0;
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            if (b.remote().trySend(ints(sent))) {
                sent++;
            } else if (sent >= ReactiveTestSupport.RING) {
                return sent;
            } else {
                LockSupport.parkNanos(100_000); // the host is still giving earlier buffers back
            }
        }
        return sent;
    }

    @Test
    void underPauseWithoutDemandTheChannelHoldsOnlyTheBoundAndTheRemoteSenderStallsOnAFullRing() {
        rpmsg.dispose();
        rpmsg = RpmsgReactive.create(loop.host(), rpmsg.options().withOverflow(ReceiveOverflow.PAUSE));
        Bound b = ReactiveTestSupport.open(rpmsg, loop, "stall", ignore());
        Flux<Integer> seqs = b.channel().receive().map(m -> m.getIntLE(0));

        StepVerifier.create(seqs, 0)
                .expectSubscription()
                .then(() -> {
                    assertThat(fillTheRing(b)).as("the remote had the whole ring, no more").isEqualTo(ReactiveTestSupport.RING);
                    assertThat(b.remote().trySend(ints(-1))).as("and stays stalled").isFalse();
                    await("the bound is held", () -> b.channel().stats().held() == BOUND);
                    // Counted against everything the remote sent, not from a mark taken after open: the
                    // remote's name-service acknowledgement may still be on its way when open returns.
                    assertThat(loop.remote().stats().sent() - loop.host().stats().received())
                            .as("taken off the ring: the bound, the rest waits in the ring unread")
                            .isEqualTo(ReactiveTestSupport.RING - BOUND);
                    assertThat(b.channel().endpoint().isDeliveryPaused()).isTrue();
                    assertThat(loop.host().heldRxBuffers()).isEqualTo(BOUND);
                })
                .thenRequest(3)
                .expectNext(0, 1, 2)
                .thenRequest(ReactiveTestSupport.RING - 3)
                .expectNextSequence(java.util.stream.IntStream.range(3, ReactiveTestSupport.RING).boxed().toList())
                .then(() -> b.remote().send(ints(1000)))
                .thenRequest(1)
                .expectNext(1000)
                .thenCancel()
                .verify(WAIT);
        assertThat(b.channel().stats().maxHeld()).isEqualTo(BOUND);
        assertThat(b.channel().stats().pauses()).isPositive();
        assertNoHeldBuffers(b.channel());
    }

    @Test
    void cancellingWithMessagesQueuedReleasesEveryHeldBufferAndLaterArrivalsAreDropped() {
        Bound b = ReactiveTestSupport.open(rpmsg, loop, "cancel", ignore());
        StepVerifier.create(b.channel().receive().map(m -> m.getIntLE(0)), 0)
                .then(() -> {
                    for (int i = 0; i < BOUND; i++) {
                        b.remote().send(ints(i));
                    }
                    await("queued", () -> b.channel().stats().held() == BOUND);
                })
                .thenRequest(1)
                .expectNext(0)
                .thenCancel()
                .verify(WAIT);
        assertNoHeldBuffers(b.channel());
        assertThat(b.channel().endpoint().isDeliveryPaused()).as("resumed: the device is not held up").isFalse();
        long dropped = b.channel().stats().dropped();
        b.remote().send(ints(99));
        await("dropped while nobody receives", () -> b.channel().stats().dropped() == dropped + 1);
        assertNoHeldBuffers(loop.host());
    }

    @Test
    void aSecondConcurrentReceiverGetsATypedErrorAndANewOneMayFollowACancelledOne() {
        Bound b = ReactiveTestSupport.open(rpmsg, loop, "one", ignore());
        Flux<RpmsgMessage> receive = b.channel().receive();
        var first = receive.subscribe();
        StepVerifier.create(receive)
                .expectErrorSatisfies(reactiveReason(RpmsgReactiveException.Reason.ALREADY_RECEIVING))
                .verify(WAIT);
        first.dispose();
        StepVerifier.create(receive.map(m -> m.getIntLE(0)))
                .then(() -> b.remote().send(ints(5)))
                .expectNext(5)
                .thenCancel()
                .verify(WAIT);
    }

    @Test
    void messagesThatArriveBeforeTheFirstReceiverAreKeptForIt() {
        Bound b = ReactiveTestSupport.open(rpmsg, loop, "early", ignore());
        b.remote().send(ints(1));
        b.remote().send(ints(2));
        await("both held", () -> b.channel().stats().held() == 2);
        StepVerifier.create(b.channel().receive().map(m -> m.getIntLE(0)))
                .expectNext(1, 2)
                .thenCancel()
                .verify(WAIT);
        assertNoHeldBuffers(b.channel());
    }

    @Test
    void receiveCompletesAfterWhatWasQueuedWhenTheRemoteDestroysItsEndpoint() {
        Bound b = ReactiveTestSupport.open(rpmsg, loop, "bye", ignore());
        StepVerifier.create(b.channel().receive().map(m -> m.getIntLE(0)), 0)
                .then(() -> {
                    b.remote().send(ints(1));
                    b.remote().send(ints(2));
                    b.remote().destroy();
                })
                .expectNoEvent(java.time.Duration.ofMillis(50))
                .thenRequest(2)
                .expectNext(1, 2)
                .verifyComplete();
        b.channel().onClose().block(WAIT);
        assertThat(b.channel().isDisposed()).isTrue();
        assertThat(loop.host().endpoints()).as("the local endpoint went too").isEmpty();
        assertNoHeldBuffers(b.channel());
        StepVerifier.create(b.channel().sendBytes(Flux.just(ints(1))).then())
                .expectErrorSatisfies(reactiveReason(RpmsgReactiveException.Reason.CHANNEL_CLOSED))
                .verify(WAIT);
    }

    @Test
    void closingTheChannelCompletesReceiveReleasesWhatWasQueuedAndTellsTheRemote() {
        Bound b = ReactiveTestSupport.open(rpmsg, loop, "close", ignore());
        StepVerifier.create(b.channel().receive(), 0)
                .then(() -> {
                    b.remote().send(ints(1));
                    await("held", () -> b.channel().stats().held() == 1);
                })
                .then(() -> b.channel().close().block(WAIT))
                .verifyComplete();
        assertNoHeldBuffers(b.channel());
        await("the remote was told (NS destroy)", () -> !b.remote().isBound());
        assertThat(loop.host().endpoints()).isEmpty();
    }

    @Test
    void aMessageIsValidInOnNextOnlyUnlessRetainedOrCopied() {
        Bound b = ReactiveTestSupport.open(rpmsg, loop, "life", ignore());
        List<RpmsgMessage> plain = new CopyOnWriteArrayList<>();
        List<RpmsgMessage> retained = new CopyOnWriteArrayList<>();
        List<RpmsgMessage> copies = new CopyOnWriteArrayList<>();
        StepVerifier.create(b.channel().receive().doOnNext(m -> {
            plain.add(m);
            retained.add(m.retain());
            copies.add(m.copy());
        }).map(m -> m.getIntLE(0)), 0)
                .then(() -> {
                    b.remote().send(ints(1)); // queued: emitted from the queue on request
                    await("held", () -> b.channel().stats().held() == 1);
                })
                .thenRequest(1)
                .expectNext(1)
                .then(() -> b.remote().send(ints(2))) // demand and nothing queued: emitted in the callback
                .thenRequest(1)
                .expectNext(2)
                .thenCancel()
                .verify(WAIT);
        assertThat(loop.host().heldRxBuffers()).as("the two retained").isEqualTo(2);
        for (int i = 0; i < 2; i++) {
            assertThat(retained.get(i).getIntLE(0)).isEqualTo(i + 1);
            assertThat(copies.get(i).getIntLE(0)).isEqualTo(i + 1);
            retained.get(i).release();
            RpmsgMessage gone = plain.get(i);
            assertThatThrownBy(() -> gone.getIntLE(0)).isInstanceOf(IllegalStateException.class);
            assertThat(copies.get(i).getIntLE(0)).as("a copy outlives the buffer").isEqualTo(i + 1);
        }
        assertNoHeldBuffers(b.channel());
    }

    @Test
    void retainedMessagesDroppedDownstreamGoBackThroughTheDiscardHook() {
        Bound b = ReactiveTestSupport.open(rpmsg, loop, "discard", ignore());
        // publishOn queues: retain before it, and let the discard hook release what it drops on cancel.
        Flux<Integer> flux = b.channel().receive()
                .doOnNext(RpmsgMessage::retain)
                .publishOn(Schedulers.single(), 8)
                .map(m -> {
                    int v = m.getIntLE(0);
                    m.release();
                    return v;
                })
                .take(1)
                .doOnDiscard(RpmsgMessage.class, RpmsgMessage::release);
        List<Integer> got = new ArrayList<>();
        StepVerifier.create(flux)
                .then(() -> {
                    for (int i = 0; i < 3; i++) {
                        b.remote().send(ints(i));
                    }
                })
                .recordWith(() -> got)
                .expectNextCount(1)
                .verifyComplete();
        assertThat(got).containsExactly(0);
        assertNoHeldBuffers(loop.host());
    }
}
