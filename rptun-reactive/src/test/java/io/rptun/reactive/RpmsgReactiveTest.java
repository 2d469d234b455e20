package io.rptun.reactive;

import static io.rptun.reactive.ReactiveTestSupport.WAIT;
import static io.rptun.reactive.ReactiveTestSupport.assertNoHeldBuffers;
import static io.rptun.reactive.ReactiveTestSupport.await;
import static io.rptun.reactive.ReactiveTestSupport.ignore;
import static io.rptun.reactive.ReactiveTestSupport.ints;
import static io.rptun.reactive.ReactiveTestSupport.reactiveReason;
import static io.rptun.reactive.ReactiveTestSupport.rpmsgReason;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rptun.core.loopback.RpmsgLoopback;
import io.rptun.core.rpmsg.RpmsgEndpoint;
import io.rptun.core.rpmsg.RpmsgException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** The entry point: announcements, open (with its timeout), serve, and the options it checks. */
@Timeout(60)
class RpmsgReactiveTest {
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
    void theDefaultsFitADeviceWithSmallRingsAsNuttxsSimulatorHas() {
        try (RpmsgLoopback small = RpmsgLoopback.start(RpmsgLoopback.table(8, 512))) {
            RpmsgReactive fitted = RpmsgReactive.create(small.host());
            assertThat(fitted.options().receiveBound()).isEqualTo(4);
            fitted.dispose();
        }
        assertThat(ReactiveOptions.defaultsFor(loop.host())).isEqualTo(ReactiveOptions.defaults());
    }

    @Test
    void announcementsReplayTheKnownServicesThenFollowCreatesAndDestroys() {
        RpmsgEndpoint known = loop.remote().createEndpoint("known", ignore());
        await("the host heard of it", () -> loop.host().remoteServices().containsKey("known"));
        StepVerifier.create(rpmsg.announcements())
                .expectNext(NameServiceEvent.created("known", known.address()))
                .then(() -> loop.remote().createEndpoint("later", ignore()))
                .assertNext(e -> assertThat(e).extracting(NameServiceEvent::type, NameServiceEvent::name)
                        .containsExactly(NameServiceEvent.Type.CREATED, "later"))
                .then(known::destroy)
                .expectNext(NameServiceEvent.destroyed("known", known.address()))
                .thenCancel()
                .verify(WAIT);
    }

    @Test
    void openCompletesOnceTheNameServiceBoundTheEndpointWhicheverSideCameFirst() {
        // The remote first: bound at once from its announcement.
        RpmsgEndpoint first = loop.remote().createEndpoint("first", ignore());
        await("announced", () -> loop.host().remoteServices().containsKey("first"));
        StepVerifier.create(rpmsg.open("first"))
                .assertNext(c -> assertThat(c.destination()).isEqualTo(first.address()))
                .verifyComplete();
        // The host first: bound when the remote's endpoint appears and the name service answers.
        StepVerifier.create(rpmsg.open("second"))
                .then(() -> loop.remote().createEndpoint("second", ignore()))
                .assertNext(c -> assertThat(c.isDisposed()).isFalse())
                .verifyComplete();
    }

    @Test
    void openTimesOutInVirtualTimeWithATypedErrorAndLeavesNoEndpoint() {
        StepVerifier.withVirtualTime(() -> rpmsg.open("nobody", Duration.ofSeconds(30)))
                .expectSubscription()
                .expectNoEvent(Duration.ofSeconds(29))
                .thenAwait(Duration.ofSeconds(1))
                .expectErrorSatisfies(reactiveReason(RpmsgReactiveException.Reason.OPEN_TIMEOUT))
                .verify(WAIT);
        assertThat(loop.host().endpoints()).isEmpty();
    }

    @Test
    void openWithoutATimeoutWaitsAsLongAsTheOptionsSayThenFailsTyped() {
        RpmsgReactive quick = RpmsgReactive.create(loop.host(), ReactiveOptions.defaults()
                .withOpenTimeout(Duration.ofSeconds(3)));
        try {
            StepVerifier.withVirtualTime(() -> quick.open("nobody"))
                    .expectSubscription()
                    .expectNoEvent(Duration.ofSeconds(2))
                    .thenAwait(Duration.ofSeconds(1))
                    .expectErrorSatisfies(reactiveReason(RpmsgReactiveException.Reason.OPEN_TIMEOUT))
                    .verify(WAIT);
            assertThat(loop.host().endpoints()).isEmpty();
        } finally {
            quick.dispose();
        }
    }

    @Test
    void cancellingAnOpenBeforeItCompletesDestroysTheEndpoint() {
        StepVerifier.create(rpmsg.open("never"))
                .expectSubscription()
                .then(() -> await("created", () -> loop.host().endpoints().size() == 1))
                .thenCancel()
                .verify(WAIT);
        // If the cancel came while the endpoint was still being created, the created channel is discarded
        // and closed right after, on that thread.
        await("the endpoint is gone", () -> loop.host().endpoints().isEmpty());
    }

    @Test
    void openWithABadNameFailsTypedWithoutThrowing() {
        StepVerifier.create(rpmsg.open("a name much longer than thirty-one bytes"))
                .expectErrorSatisfies(rpmsgReason(RpmsgException.Reason.BAD_NAME))
                .verify(WAIT);
    }

    @Test
    void aServedEndpointAnswersEachRequesterAtItsOwnAddress() throws Exception {
        RpmsgService upper = rpmsg.serve("upper", request -> Flux.just(
                request.asString().toUpperCase().getBytes(StandardCharsets.UTF_8),
                ("from " + request.src()).getBytes(StandardCharsets.UTF_8)));
        BlockingQueue<String> a = new LinkedBlockingQueue<>();
        BlockingQueue<String> b = new LinkedBlockingQueue<>();
        // Two unnamed remote clients: each sends to the service's address and gets its own replies.
        RpmsgEndpoint clientA = loop.remote().createEndpoint("", 0x500, upper.address(), (ep, m) -> a.add(m.asString()));
        RpmsgEndpoint clientB = loop.remote().createEndpoint("", 0x501, upper.address(), (ep, m) -> b.add(m.asString()));
        clientA.send("hello".getBytes(StandardCharsets.UTF_8));
        clientB.send("world".getBytes(StandardCharsets.UTF_8));
        assertThat(a.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("HELLO");
        assertThat(a.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("from " + 0x500);
        assertThat(b.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("WORLD");
        assertThat(b.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("from " + 0x501);
        await("both answered", () -> upper.handled() == 2);
        upper.dispose();
        upper.onClose().block(WAIT);
        assertNoHeldBuffers(loop.host());
        assertThat(loop.host().endpoints()).isEmpty();
    }

    @Test
    void aServiceKeepsTheRequestValidUntilItsLazyReplyRunsAndSurvivesAFailingHandler() throws Exception {
        RpmsgService lazy = rpmsg.serve("lazy", request -> {
            if (request.length() == 0) {
                throw new IllegalStateException("empty request");
            }
            // Read later, on another thread: the service retained the request until the reply ends.
            return Mono.fromCallable(request::toByteArray).subscribeOn(reactor.core.scheduler.Schedulers.parallel());
        });
        BlockingQueue<byte[]> replies = new LinkedBlockingQueue<>();
        RpmsgEndpoint client = loop.remote().createEndpoint("", 0x600, lazy.address(), (ep, m) -> replies.add(m.toByteArray()));
        client.send(new byte[0]);
        client.send(ints(42));
        assertThat(replies.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(ints(42));
        assertThat(lazy.failures()).isEqualTo(1);
        await("handled", () -> lazy.handled() == 1);
        assertNoHeldBuffers(loop.host());
    }

    @Test
    void aReceiveBoundNotBelowTheRingIsRefused() {
        assertThatThrownBy(() -> RpmsgReactive.create(loop.host(),
                ReactiveOptions.defaults().withReceiveBound(ReactiveTestSupport.RING)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ReactiveOptions.defaults().withReceiveBound(0))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theDefaultsCopyPastTheBoundWithinBudgetsAndNegativeBudgetsAreRefused() {
        ReactiveOptions d = ReactiveOptions.defaults();
        assertThat(d.overflow()).isEqualTo(ReceiveOverflow.COPY);
        assertThat(d.receiveBound()).isEqualTo(16);
        assertThat(d.copyBudget()).isEqualTo(256 * 1024);
        assertThat(d.deviceCopyBudget()).isEqualTo(4 * 1024 * 1024);
        assertThat(d.withCopyBudget(0).withDeviceCopyBudget(0).copyBudget()).isZero();
        assertThatThrownBy(() -> d.withCopyBudget(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> d.withDeviceCopyBudget(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void disposingTheLayerClosesItsChannelsButNotTheDevice() {
        ReactiveTestSupport.Bound b = ReactiveTestSupport.open(rpmsg, loop, "layer", ignore());
        StepVerifier.create(b.channel().receive())
                .then(rpmsg::dispose)
                .verifyComplete();
        assertThat(b.channel().isDisposed()).isTrue();
        assertThat(loop.host().state()).isEqualTo(io.rptun.core.rpmsg.RpmsgDevice.State.READY);
        assertThat(rpmsg.isDisposed()).isTrue();
    }
}
