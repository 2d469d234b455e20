package io.rptun.core.rpmsg;

import static io.rptun.core.rpmsg.RpmsgAddresses.ANY;
import static io.rptun.core.rpmsg.RpmsgTestSupport.WAIT;
import static org.assertj.core.api.Assertions.assertThat;

import io.rptun.core.loopback.RpmsgLoopback;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Name-service messages of one endpoint keep their order against its destroy, whatever thread sends them:
 * interleavings forced with latches, so each runs the same way every time.
 */
@Timeout(60)
class RpmsgNameServiceRaceTest {

    @Test
    void anAcknowledgementTheServingThreadOwesNeverFollowTheEndpointsNsDestroy() throws Exception {
        try (RpmsgLoopback loop = RpmsgLoopback.start(RpmsgLoopback.table(16, 512))) {
            BlockingQueue<String> events = new LinkedBlockingQueue<>();
            BlockingQueue<String> markers = new LinkedBlockingQueue<>();
            CountDownLatch gateEntered = new CountDownLatch(1);
            CountDownLatch gateRelease = new CountDownLatch(1);
            CountDownLatch onBoundEntered = new CountDownLatch(1);
            CountDownLatch onBoundRelease = new CountDownLatch(1);
            // Hold the remote's serving thread so that both NS creates are waiting when it looks.
            RpmsgEndpoint gateIn = loop.remote().createEndpoint("", (ep, msg) -> {
                gateEntered.countDown();
                await(gateRelease);
            });
            RpmsgEndpoint gateOut = loop.host().createEndpoint("", (ep, msg) -> markers.add(msg.asString()));
            gateOut.sendTo(gateIn.address(), new byte[] {1});
            assertThat(gateEntered.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();

            RpmsgEndpoint client = loop.host().createEndpoint("svc", recorder(events));
            RpmsgEndpoint first = loop.remote().createEndpoint("svc", 0x500, ANY, new RpmsgListener() {
                @Override
                public void onMessage(RpmsgEndpoint ep, RpmsgMessage msg) {
                }

                @Override
                public void onBound(RpmsgEndpoint ep) {
                    // The serving thread bound 'first' from the host's NS create and owes a CREATE_ACK:
                    // hold it here while another thread destroys 'first'.
                    onBoundEntered.countDown();
                    await(onBoundRelease);
                }
            });
            assertThat(events.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("bound 0x500");
            gateRelease.countDown();
            assertThat(onBoundEntered.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();

            Thread destroyer = Thread.ofPlatform().start(first::destroy);
            awaitBlocked(destroyer); // it sent the NS destroy and waits for the callback to end
            onBoundRelease.countDown();
            assertThat(destroyer.join(WAIT)).isTrue();

            // Whatever the remote's serving thread sent for 'first' is on the ring before this marker.
            gateIn.sendTo(gateOut.address(), "marker".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            assertThat(markers.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("marker");
            List<String> after = new ArrayList<>();
            events.drainTo(after);
            assertThat(after).containsExactly("unbind ANY");
            assertThat(client.isBound()).isFalse();
            assertThat(loop.host().remoteServices()).doesNotContainKey("svc");
        }
    }

    private static RpmsgListener recorder(BlockingQueue<String> events) {
        return new RpmsgListener() {
            @Override
            public void onMessage(RpmsgEndpoint ep, RpmsgMessage msg) {
                events.add("message " + msg.asString());
            }

            @Override
            public void onBound(RpmsgEndpoint ep) {
                events.add("bound " + RpmsgAddresses.format(ep.destination()));
            }

            @Override
            public void onUnbind(RpmsgEndpoint ep) {
                events.add("unbind " + RpmsgAddresses.format(ep.destination()));
            }
        };
    }

    private static void await(CountDownLatch latch) {
        try {
            assertThat(latch.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Waits until {@code t} blocks (on the device's dispatch lock, here). */
    private static void awaitBlocked(Thread t) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (t.getState() != Thread.State.WAITING && t.getState() != Thread.State.TIMED_WAITING) {
            assertThat(System.nanoTime() - deadline).as("%s blocks", t).isNegative();
            Thread.sleep(1);
        }
    }
}
