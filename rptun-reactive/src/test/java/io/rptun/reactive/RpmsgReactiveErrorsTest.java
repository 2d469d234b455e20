package io.rptun.reactive;

import static io.rptun.reactive.ReactiveTestSupport.WAIT;
import static io.rptun.reactive.ReactiveTestSupport.assertNoHeldBuffers;
import static io.rptun.reactive.ReactiveTestSupport.await;
import static io.rptun.reactive.ReactiveTestSupport.ignore;
import static io.rptun.reactive.ReactiveTestSupport.ints;
import static io.rptun.reactive.ReactiveTestSupport.rpmsgReason;
import static org.assertj.core.api.Assertions.assertThat;

import io.rptun.core.loopback.RpmsgLoopback;
import io.rptun.core.rpmsg.RpmsgException.Reason;
import io.rptun.core.rpmsg.RpmsgMessage;
import io.rptun.reactive.ReactiveTestSupport.Bound;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;
import reactor.test.StepVerifier.FirstStep;

/** A stopped device reaches every subscriber (receive, send, open, announcements) as a typed onError. */
@Timeout(60)
class RpmsgReactiveErrorsTest {
    private RpmsgLoopback loop;
    private RpmsgReactive rpmsg;

    @BeforeEach
    void start() {
        loop = ReactiveTestSupport.loopback();
        rpmsg = RpmsgReactive.create(loop.host());
    }

    @AfterEach
    void stop() {
        rpmsg.dispose();
        loop.close();
    }

    @Test
    void aLostRemoteFailsReceiveSendOpenAndAnnouncementsWithPeerLost() {
        BlockingQueue<RpmsgMessage> held = new LinkedBlockingQueue<>();
        Bound recv = ReactiveTestSupport.open(rpmsg, loop, "recv", ignore());
        Bound send = ReactiveTestSupport.open(rpmsg, loop, "send", (ep, msg) -> held.add(msg.hold()));
        // Something queued on the receive side, a send stalled for TX buffers, an open nobody answers.
        recv.remote().send(ints(1));
        await("queued", () -> recv.channel().stats().held() == 1);
        FirstStep<RpmsgMessage> receive = StepVerifier.create(recv.channel().receive(), 0);
        FirstStep<Void> sending = StepVerifier.create(
                send.channel().sendBytes(Flux.range(0, 4 * ReactiveTestSupport.RING).map(i -> ints(i))).then());
        var receiving = receive.expectSubscription()
                .expectErrorSatisfies(rpmsgReason(Reason.PEER_LOST))
                .verifyLater();
        var stalled = sending.expectSubscription()
                .expectErrorSatisfies(rpmsgReason(Reason.PEER_LOST))
                .verifyLater();
        var opening = StepVerifier.create(rpmsg.open("nobody"))
                .expectErrorSatisfies(rpmsgReason(Reason.PEER_LOST))
                .verifyLater();
        var announcing = StepVerifier.create(rpmsg.announcements())
                .expectNextCount(2)
                .expectErrorSatisfies(rpmsgReason(Reason.PEER_LOST))
                .verifyLater();
        await("stalled", () -> held.size() == ReactiveTestSupport.RING);

        loop.host().peerLost("the test pulled the plug");

        receiving.verify(WAIT);
        stalled.verify(WAIT);
        opening.verify(WAIT);
        announcing.verify(WAIT);
        assertNoHeldBuffers(loop.host());
        assertThat(recv.channel().isDisposed()).isTrue();
        recv.channel().onClose().block(WAIT);
        // Later subscribers learn it too.
        StepVerifier.create(recv.channel().receive()).expectErrorSatisfies(rpmsgReason(Reason.PEER_LOST)).verify(WAIT);
        StepVerifier.create(rpmsg.announcements()).expectErrorSatisfies(rpmsgReason(Reason.PEER_LOST)).verify(WAIT);
        StepVerifier.create(rpmsg.open("late")).expectErrorSatisfies(rpmsgReason(Reason.PEER_LOST)).verify(WAIT);
        held.forEach(RpmsgMessage::release);
    }

    @Test
    void closingTheDeviceFailsReceiveWithDeviceClosed() {
        Bound b = ReactiveTestSupport.open(rpmsg, loop, "closing", ignore());
        StepVerifier.create(b.channel().receive())
                .then(() -> loop.host().close())
                .expectErrorSatisfies(rpmsgReason(Reason.DEVICE_CLOSED))
                .verify(WAIT);
        StepVerifier.create(b.channel().sendBytes(Flux.just(ints(1))).then())
                .expectErrorSatisfies(rpmsgReason(Reason.DEVICE_CLOSED))
                .verify(WAIT);
    }

    @Test
    void aFailingSubscriberIsCancelledAndTheChannelReleasesWhatItHeld() {
        Bound b = ReactiveTestSupport.open(rpmsg, loop, "throws", ignore());
        b.remote().send(ints(1));
        b.remote().send(ints(2));
        await("held", () -> b.channel().stats().held() == 2);
        StepVerifier.create(b.channel().receive().map(m -> {
            throw new IllegalStateException("boom " + m.getIntLE(0));
        })).expectErrorMessage("boom 1").verify(WAIT);
        assertNoHeldBuffers(b.channel());
    }
}
