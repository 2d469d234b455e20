package io.rptun.core.rpmsg;

import static io.rptun.core.rpmsg.RpmsgTestSupport.WAIT;
import static io.rptun.core.rpmsg.RpmsgTestSupport.bind;
import static io.rptun.core.rpmsg.RpmsgTestSupport.ignore;
import static io.rptun.core.rpmsg.RpmsgTestSupport.ints;
import static io.rptun.core.rpmsg.RpmsgTestSupport.loopback;
import static io.rptun.core.rpmsg.RpmsgTestSupport.take;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rptun.core.loopback.RpmsgLoopback;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What layers above the rpmsg API build on: the message reference count and copies, the held-buffer
 * counter, the name-service listener, and the TX-available listener.
 */
@Timeout(60)
class RpmsgLayerHooksTest {
    private static final int NUM = 8;

    @Test
    void aRetainedMessageStaysValidUntilItsLastReleaseAndOnlyThenGivesItsBufferBack() throws Exception {
        try (RpmsgLoopback loop = loopback(NUM)) {
            BlockingQueue<RpmsgMessage> kept = new LinkedBlockingQueue<>();
            RpmsgTestSupport.Pair p = bind(loop, "refs", (ep, msg) -> kept.add(msg.retain().retain()), ignore());
            p.remote().send(ints(7));
            RpmsgMessage m = take(kept);
            assertThat(m.refCount()).isEqualTo(2);
            assertThat(m.isHeld()).isTrue();
            assertThat(loop.host().heldRxBuffers()).as("one buffer, however many references").isEqualTo(1);
            m.retain();
            m.release();
            m.release();
            assertThat(m.getIntLE(0)).as("one reference left: still valid").isEqualTo(7);
            assertThat(loop.host().heldRxBuffers()).isEqualTo(1);
            m.release();
            assertThat(loop.host().heldRxBuffers()).isZero();
            assertThat(m.refCount()).isZero();
            assertThatThrownBy(() -> m.getIntLE(0)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(m::retain).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(m::release).isInstanceOf(IllegalStateException.class);
            // Every buffer came back: the remote can fill the whole ring again.
            for (int i = 0; i < 2 * NUM; i++) {
                p.remote().send(ints(i));
                RpmsgMessage again = take(kept);
                again.release();
                again.release();
            }
        }
    }

    @Test
    void holdIsTheFirstReferenceAndRetainAddsToIt() throws Exception {
        try (RpmsgLoopback loop = loopback(NUM)) {
            BlockingQueue<RpmsgMessage> kept = new LinkedBlockingQueue<>();
            RpmsgTestSupport.Pair p = bind(loop, "hold", (ep, msg) -> kept.add(msg.hold().retain()), ignore());
            p.remote().send(ints(3));
            RpmsgMessage m = take(kept);
            assertThat(m.refCount()).isEqualTo(2);
            assertThatThrownBy(m::hold).as("hold stays once, inside the callback").isInstanceOf(IllegalStateException.class);
            m.release();
            m.release();
            assertThat(loop.host().heldRxBuffers()).isZero();
        }
    }

    @Test
    void aCopyOutlivesTheBufferAndIgnoresReferenceCounting() throws Exception {
        try (RpmsgLoopback loop = loopback(NUM)) {
            BlockingQueue<RpmsgMessage> copies = new LinkedBlockingQueue<>();
            RpmsgTestSupport.Pair p = bind(loop, "copy", (ep, msg) -> copies.add(msg.copy()), ignore());
            p.remote().send(ints(42, 43));
            RpmsgMessage c = take(copies);
            assertThat(c.isCopy()).isTrue();
            assertThat(c.copy()).isSameAs(c);
            assertThat(c.getIntLE(4)).isEqualTo(43);
            assertThat(c.src()).isEqualTo(p.remote().address());
            c.hold();
            c.retain();
            c.release();
            c.release();
            c.release();
            assertThat(c.isHeld()).isFalse();
            assertThat(c.toByteArray()).isEqualTo(ints(42, 43));
            assertThat(loop.host().heldRxBuffers()).isZero();
        }
    }

    @Test
    void serviceListenersHearOfChangesAfterTheirSnapshotAndOfTheDeviceStopping() throws Exception {
        try (RpmsgLoopback loop = loopback(NUM)) {
            RpmsgEndpoint first = loop.remote().createEndpoint("first", ignore());
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (!loop.host().remoteServices().containsKey("first")) {
                assertThat(System.nanoTime()).isLessThan(deadline);
                Thread.onSpinWait();
            }
            BlockingQueue<String> events = new LinkedBlockingQueue<>();
            RpmsgServiceListener listener = new RpmsgServiceListener() {
                @Override
                public void serviceCreated(String name, int address) {
                    events.add("created " + name + " " + address);
                }

                @Override
                public void serviceDestroyed(String name, int address) {
                    events.add("destroyed " + name + " " + address);
                }

                @Override
                public void deviceStopped(RpmsgException why) {
                    events.add("stopped " + why.reason());
                }
            };
            Map<String, Integer> known = loop.host().addServiceListener(listener);
            assertThat(known).containsExactly(Map.entry("first", first.address()));
            RpmsgEndpoint second = loop.remote().createEndpoint("second", ignore());
            assertThat(take(events)).isEqualTo("created second " + second.address());
            second.destroy();
            assertThat(take(events)).isEqualTo("destroyed second " + second.address());
            loop.host().peerLost("test");
            assertThat(take(events)).isEqualTo("stopped " + RpmsgException.Reason.PEER_LOST);
            assertThat(events.poll(50, TimeUnit.MILLISECONDS)).isNull();
            assertThat(loop.host().removeServiceListener(listener)).isTrue();
        }
    }

    @Test
    void txAvailableListenersRunWhenThePeerGivesBuffersBackAndWhenTheDeviceStops() throws Exception {
        try (RpmsgLoopback loop = loopback(NUM)) {
            BlockingQueue<RpmsgMessage> held = new LinkedBlockingQueue<>();
            RpmsgTestSupport.Pair p = bind(loop, "tx", ignore(), (ep, msg) -> held.add(msg.hold()));
            // The remote holds what the host sends: the host runs out of TX buffers.
            List<RpmsgMessage> atRemote = new ArrayList<>();
            // A TX buffer can be in flight for a moment (the name service's last message): keep trying
            // until every buffer went out, then none is left.
            int sent = 0;
            long deadline = System.nanoTime() + java.time.Duration.ofSeconds(10).toNanos();
            while (sent < NUM && System.nanoTime() < deadline) {
                if (p.host().trySend(ints(sent))) {
                    sent++;
                } else {
                    java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
                }
            }
            assertThat(sent).isEqualTo(NUM);
            assertThat(p.host().trySend(ints(-2))).isFalse();
            for (int i = 0; i < NUM; i++) {
                atRemote.add(take(held));
            }
            AtomicInteger calls = new AtomicInteger();
            BlockingQueue<Boolean> freed = new LinkedBlockingQueue<>();
            Runnable listener = () -> {
                calls.incrementAndGet();
                RpmsgTxBuffer b = p.host().tryTxBuffer();
                if (b != null) {
                    b.payload().set(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, 0, -1);
                    b.send(4); // sent from the listener, on whichever thread it runs: it must not block
                    freed.add(true);
                }
            };
            loop.host().addTxAvailableListener(listener);
            assertThat(p.host().tryTxBuffer()).isNull();
            atRemote.removeFirst().release();
            assertThat(take(freed)).as("the release reached the host's listener without a poll").isTrue();
            assertThat(loop.host().removeTxAvailableListener(listener)).isTrue();
            assertThat(take(held).getIntLE(0)).as("what the listener sent").isEqualTo(-1);
            atRemote.forEach(RpmsgMessage::release);
            assertThat(loop.host().removeTxAvailableListener(listener)).isFalse();

            AtomicInteger onStop = new AtomicInteger();
            loop.host().addTxAvailableListener(onStop::incrementAndGet);
            int before = onStop.get();
            loop.host().peerLost("test");
            assertThat(onStop.get()).as("a waiter sees the failure").isGreaterThan(before);
            assertThat(calls.get()).isPositive();
        }
    }
}
