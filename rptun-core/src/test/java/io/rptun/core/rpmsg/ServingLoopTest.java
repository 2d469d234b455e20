package io.rptun.core.rpmsg;

import static io.rptun.core.rpmsg.RpmsgRawPeer.NUM;
import static io.rptun.core.rpmsg.RpmsgRawPeer.PEER;
import static io.rptun.core.rpmsg.RpmsgTestSupport.WAIT;
import static io.rptun.core.rpmsg.RpmsgTestSupport.take;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.rptun.core.rpmsg.RpmsgException.Reason;
import io.rptun.core.rpmsg.RpmsgRawPeer.HostRig;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.api.Timeout;

/**
 * The one serving loop, pinned once for both of its users ({@link RpmsgRunner} and the lifecycle's session
 * thread): a real host served by a {@link ServingLoop} against a raw remote that never kicks, so every ring
 * of the loop's doorbell is the test's own (a kick), the device's wakeup, or the device stopping. The loops
 * sleep up to an hour unrung: whatever they do in these tests, a ring made them do it.
 */
@Timeout(60)
class ServingLoopTest {
    /** Long enough that a loop that waited for it instead of a ring would hang the test. */
    private static final Duration NEVER = Duration.ofHours(1);

    /** What the hooks saw, and on which thread. */
    static final class Recorder implements ServingLoop.Hooks {
        final AtomicInteger passes = new AtomicInteger();
        final AtomicInteger readies = new AtomicInteger();
        final BlockingQueue<RpmsgException> failures = new LinkedBlockingQueue<>();
        final List<Thread> threads = new CopyOnWriteArrayList<>();

        @Override
        public void beforePass() {
            threads.add(Thread.currentThread());
            passes.incrementAndGet();
        }

        @Override
        public void deviceReady() {
            threads.add(Thread.currentThread());
            readies.incrementAndGet();
        }

        @Override
        public void deviceFailed(RpmsgException why) {
            threads.add(Thread.currentThread());
            failures.add(why);
        }
    }

    /** A started loop over the rig's host, woken by {@code bell}, sleeping up to an hour unrung. */
    private static ServingLoop serve(HostRig rig, ParkingDoorbell bell, ServingLoop.Hooks hooks) {
        return ServingLoop.builder(rig.host, bell).threadName("host-serving").idleWait(NEVER).hooks(hooks).build()
                .start();
    }

    /** Waits (up to {@link RpmsgTestSupport#WAIT}) for the serving thread to end; true if it did. */
    private static boolean ended(Thread thread) throws InterruptedException {
        thread.join(WAIT);
        return !thread.isAlive();
    }

    /**
     * Waits until the serving thread sleeps on its doorbell (parked, with no work pending), so that what
     * the test does next must wake it to be seen.
     */
    private static void awaitAsleep(Thread thread, RpmsgDevice device) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!(thread.getState() == Thread.State.TIMED_WAITING && !device.hasPendingWork())
                && System.nanoTime() < deadline) {
            LockSupport.parkNanos(1_000_000);
        }
        assertThat(thread.getState()).as("the serving thread sleeps").isEqualTo(Thread.State.TIMED_WAITING);
    }

    /** A host endpoint talking to the raw remote's {@link RpmsgRawPeer#PEER}, every payload into {@code into}. */
    private static RpmsgEndpoint endpoint(HostRig rig, BlockingQueue<String> into) {
        return rig.host.createEndpoint("", RpmsgAddresses.ANY, PEER,
                (ep, msg) -> into.add(msg.asString()));
    }

    private static byte[] text(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void itServesWhatThePeerSendsWhenRungAndCallsTheHooksOnItsOwnThread() throws Exception {
        try (HostRig rig = new HostRig()) {
            ParkingDoorbell bell = new ParkingDoorbell();
            Recorder hooks = new Recorder();
            try (ServingLoop loop = serve(rig, bell, hooks)) {
                BlockingQueue<String> got = new LinkedBlockingQueue<>();
                RpmsgEndpoint ep = endpoint(rig, got);
                for (int i = 0; i < 3; i++) {
                    rig.send(ep.address(), text("m" + i));
                    bell.ring();
                    assertThat(take(got)).isEqualTo("m" + i);
                }
                // The hook runs after the pass that delivered a message, which may still be delivering the next.
                assertThat(RpmsgTestSupport.awaitCount(hooks.readies::get, 1)).as("deviceReady, once").isEqualTo(1);
                assertThat(hooks.passes.get()).as("beforePass ran before the passes").isPositive();
                assertThat(hooks.threads).allSatisfy(t -> assertThat(t).isSameAs(loop.thread()));
                assertThat(loop.thread().isDaemon()).isTrue();
                assertThat(loop.thread().getName()).isEqualTo("host-serving");
            }
        }
    }

    @Test
    void aDeviceBrokenByASendingThreadEndsTheLoopAtOnceAndIsReported() throws Exception {
        try (HostRig rig = new HostRig()) {
            ParkingDoorbell bell = new ParkingDoorbell();
            Recorder hooks = new Recorder();
            try (ServingLoop loop = serve(rig, bell, hooks)) {
                RpmsgEndpoint ep = endpoint(rig, new LinkedBlockingQueue<>());
                ep.send(text("one"));
                assertThat(rig.raw.receive()).hasSize(1);
                // The one buffer in flight came back; used.idx now claims five more. The host reaps its TX used
                // ring when it needs a buffer: this thread, on its next send, finds the ring corrupt.
                rig.peer.scribbleUsedIdx(1, rig.peer.usedIdx(1) + 5);
                awaitAsleep(loop.thread(), rig.host);
                Throwable thrown = catchThrowable(() -> ep.send(text("two")));
                assertThat(thrown).isInstanceOfSatisfying(RpmsgException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.DEVICE_BROKEN));

                // Nobody rang and the idle wait is an hour: the device stopping woke the loop.
                assertThat(ended(loop.thread())).as("the loop ended").isTrue();
                assertThat(rig.host.state()).isEqualTo(RpmsgDevice.State.BROKEN);
                RpmsgException reported = take(hooks.failures);
                assertThat(reported.reason()).isEqualTo(Reason.DEVICE_BROKEN);
                assertThat(hooks.failures).as("reported once").isEmpty();
                assertThat(loop.failure()).isSameAs(reported);
                assertThat(hooks.threads).allSatisfy(t -> assertThat(t).isSameAs(loop.thread()));
            }
        }
    }

    @Test
    void aServingPassThatFindsARingCorruptEndsTheLoopAndIsReported() throws Exception {
        try (HostRig rig = new HostRig()) {
            ParkingDoorbell bell = new ParkingDoorbell();
            Recorder hooks = new Recorder();
            try (ServingLoop loop = serve(rig, bell, hooks)) {
                BlockingQueue<String> got = new LinkedBlockingQueue<>();
                RpmsgEndpoint ep = endpoint(rig, got);
                rig.send(ep.address(), text("hello"));
                bell.ring();
                assertThat(take(got)).isEqualTo("hello");
                // NUM buffers are in flight on the host's RX ring; used.idx moves by NUM + 1: the next pass breaks.
                rig.peer.scribbleUsedIdx(0, rig.peer.usedIdx(0) + NUM + 1);
                bell.ring();

                assertThat(ended(loop.thread())).as("the loop ended").isTrue();
                assertThat(rig.host.state()).isEqualTo(RpmsgDevice.State.BROKEN);
                RpmsgException reported = take(hooks.failures);
                assertThat(reported.reason()).isEqualTo(Reason.DEVICE_BROKEN);
                assertThat(hooks.failures).as("reported once").isEmpty();
                assertThat(loop.failure()).isSameAs(reported);
            }
        }
    }

    /** Ways a device stops on another thread, which the one who stopped it knows about. */
    enum StoppedElsewhere {
        CLOSED {
            @Override
            void stop(RpmsgDevice host) {
                host.close();
            }
        },
        PEER_DECLARED_LOST {
            @Override
            void stop(RpmsgDevice host) {
                host.peerLost("the test said so");
            }
        };

        abstract void stop(RpmsgDevice host);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(StoppedElsewhere.class)
    void aDeviceStoppedElsewhereEndsTheLoopQuietly(StoppedElsewhere how) throws Exception {
        try (HostRig rig = new HostRig()) {
            Recorder hooks = new Recorder();
            try (ServingLoop loop = serve(rig, new ParkingDoorbell(), hooks)) {
                awaitAsleep(loop.thread(), rig.host);
                how.stop(rig.host);
                assertThat(ended(loop.thread())).as("the loop ended").isTrue();
                assertThat(hooks.failures).as("whoever stopped it knows: nothing reported").isEmpty();
                assertThat(loop.failure()).isNull();
            }
        }
    }

    @Test
    void aLoopStartedOnADeviceThatAlreadyStoppedEndsWithoutServingIt() throws Exception {
        try (HostRig rig = new HostRig()) {
            rig.host.close();
            Recorder hooks = new Recorder();
            try (ServingLoop loop = serve(rig, new ParkingDoorbell(), hooks)) {
                assertThat(ended(loop.thread())).as("the loop ended").isTrue();
                assertThat(hooks.readies.get()).isZero();
                assertThat(hooks.failures).isEmpty();
            }
        }
    }

    @Test
    void anEndpointThatResumesDeliveryIsServedThroughTheDevicesWakeup() throws Exception {
        try (HostRig rig = new HostRig()) {
            ParkingDoorbell bell = new ParkingDoorbell();
            try (ServingLoop loop = serve(rig, bell, new Recorder())) {
                BlockingQueue<String> got = new LinkedBlockingQueue<>();
                RpmsgEndpoint ep = endpoint(rig, got);
                ep.pauseDelivery();
                rig.send(ep.address(), text("held back"));
                bell.ring();
                // Once the loop has looked, a paused head is no work: it sleeps, for an hour unless rung.
                long deadline = System.nanoTime() + WAIT.toNanos();
                while (rig.host.hasPendingWork() && System.nanoTime() < deadline) {
                    LockSupport.parkNanos(1_000_000);
                }
                assertThat(rig.host.hasPendingWork()).as("the loop saw the paused head").isFalse();
                assertThat(got).as("nothing delivered while paused").isEmpty();

                ep.resumeDelivery();
                assertThat(take(got)).isEqualTo("held back");
                assertThat(loop.thread().isAlive()).isTrue();
            }
        }
    }

    @Test
    void aListenerThatThrowsDoesNotEndTheLoop() throws Exception {
        try (HostRig rig = new HostRig()) {
            ParkingDoorbell bell = new ParkingDoorbell();
            Recorder hooks = new Recorder();
            try (ServingLoop loop = serve(rig, bell, hooks)) {
                BlockingQueue<String> got = new LinkedBlockingQueue<>();
                RpmsgEndpoint ep = rig.host.createEndpoint("", RpmsgAddresses.ANY, PEER, (e, msg) -> {
                    String s = msg.asString();
                    got.add(s);
                    if (s.startsWith("bad")) {
                        throw new IllegalStateException("a listener bug: " + s);
                    }
                });
                for (String s : List.of("bad 1", "good 2", "bad 3", "good 4")) {
                    rig.send(ep.address(), text(s));
                    bell.ring();
                    assertThat(take(got)).isEqualTo(s);
                }
                assertThat(RpmsgTestSupport.awaitCount(ep::callbackFailures, 2)).isEqualTo(2);
                assertThat(loop.thread().isAlive()).isTrue();
                assertThat(rig.host.state()).isEqualTo(RpmsgDevice.State.READY);
                assertThat(hooks.failures).isEmpty();
                assertThat(loop.failure()).isNull();
            }
        }
    }

    @Test
    void aHookThatThrowsIsLoggedAndTheLoopServesOn() throws Exception {
        try (HostRig rig = new HostRig()) {
            ParkingDoorbell bell = new ParkingDoorbell();
            AtomicInteger passes = new AtomicInteger();
            ServingLoop.Hooks throwing = new ServingLoop.Hooks() {
                @Override
                public void beforePass() {
                    passes.incrementAndGet();
                    throw new IllegalStateException("a hook bug");
                }

                @Override
                public void deviceReady() {
                    throw new IllegalStateException("another hook bug");
                }
            };
            try (ServingLoop loop = serve(rig, bell, throwing)) {
                BlockingQueue<String> got = new LinkedBlockingQueue<>();
                RpmsgEndpoint ep = endpoint(rig, got);
                for (int i = 0; i < 2; i++) {
                    rig.send(ep.address(), text("after a failed hook " + i));
                    bell.ring();
                    assertThat(take(got)).isEqualTo("after a failed hook " + i);
                }
                assertThat(passes.get()).isPositive();
                assertThat(loop.thread().isAlive()).isTrue();
            }
        }
    }

    @Test
    void closeJoinsTheThreadLeavesTheDeviceOpenAndNothingIsReportedAfterIt() throws Exception {
        try (HostRig rig = new HostRig()) {
            Recorder hooks = new Recorder();
            ServingLoop loop = serve(rig, new ParkingDoorbell(), hooks);
            loop.close();
            assertThat(loop.thread().isAlive()).as("close() waited for the thread").isFalse();
            assertThat(loop.isStopped()).isTrue();
            assertThat(rig.host.state()).isEqualTo(RpmsgDevice.State.READY);
            loop.close(); // idempotent

            RpmsgEndpoint ep = endpoint(rig, new LinkedBlockingQueue<>());
            ep.send(text("one"));
            assertThat(rig.raw.receive()).hasSize(1);
            rig.peer.scribbleUsedIdx(1, rig.peer.usedIdx(1) + 5);
            assertThat(catchThrowable(() -> ep.send(text("two")))).isInstanceOf(RpmsgException.class);
            assertThat(rig.host.state()).isEqualTo(RpmsgDevice.State.BROKEN);
            assertThat(hooks.failures).as("a stopped loop reports nothing").isEmpty();
            assertThat(loop.failure()).isNull();
        }
    }

    @Test
    void aHookMayCloseItsOwnLoop() throws Exception {
        try (HostRig rig = new HostRig()) {
            AtomicInteger passes = new AtomicInteger();
            ServingLoop[] self = new ServingLoop[1];
            ServingLoop.Hooks closing = new ServingLoop.Hooks() {
                @Override
                public void deviceReady() {
                    passes.incrementAndGet();
                    self[0].close(); // on the serving thread: must not wait for itself
                }
            };
            ServingLoop loop = ServingLoop.builder(rig.host, new ParkingDoorbell()).idleWait(NEVER).hooks(closing)
                    .build();
            self[0] = loop;
            loop.start();
            assertThat(ended(loop.thread())).as("the loop ended").isTrue();
            assertThat(passes.get()).isEqualTo(1);
            assertThat(rig.host.state()).isEqualTo(RpmsgDevice.State.READY);
        }
    }

    @Test
    void aLoopStartsOnce() throws Exception {
        try (HostRig rig = new HostRig(); ServingLoop loop = serve(rig, new ParkingDoorbell(), new Recorder())) {
            assertThatThrownBy(loop::start).isInstanceOf(IllegalThreadStateException.class);
            assertThat(loop.thread().isAlive()).isTrue();
        }
    }

    @Test
    void theIdleWaitMustBePositive() {
        try (HostRig rig = new HostRig()) {
            ServingLoop.Builder builder = ServingLoop.builder(rig.host, new ParkingDoorbell());
            assertThatThrownBy(() -> builder.idleWait(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> builder.idleWait(Duration.ofMillis(-1)))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void anRpmsgRunnerIsThisLoopAndReportsADeviceBrokenByASendingThread() throws Exception {
        try (HostRig rig = new HostRig()) {
            RpmsgRunner runner = RpmsgRunner.start(rig.host, new ParkingDoorbell(), "host-runner", NEVER);
            try {
                RpmsgEndpoint ep = endpoint(rig, new LinkedBlockingQueue<>());
                ep.send(text("one"));
                assertThat(rig.raw.receive()).hasSize(1);
                rig.peer.scribbleUsedIdx(1, rig.peer.usedIdx(1) + 5);
                awaitAsleep(runner.thread(), rig.host);
                assertThat(catchThrowable(() -> ep.send(text("two")))).isInstanceOf(RpmsgException.class);

                assertThat(ended(runner.thread())).as("the runner's thread ended").isTrue();
                RpmsgException why = runner.failure();
                assertThat(why).isNotNull();
                assertThat(why.reason()).isEqualTo(Reason.DEVICE_BROKEN);
            } finally {
                runner.close();
            }
        }
    }
}
