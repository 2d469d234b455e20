package io.rptun.core.rpmsg;

import static io.rptun.core.rpmsg.RpmsgTestSupport.WAIT;
import static io.rptun.core.rpmsg.RpmsgTestSupport.ints;
import static org.assertj.core.api.Assertions.assertThat;

import io.rptun.core.loopback.RpmsgLoopback;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link RpmsgEndpoint#pauseDelivery()}: what a consumer that is behind uses to slow the peer through the rings. */
class RpmsgFlowControlTest {
    private static final int RING = 16;

    @Test
    @Timeout(60)
    void aPausedEndpointLeavesMessagesInTheRingUntilThePeerRunsOutOfBuffersAndGetsThemAllInOrderOnResume()
            throws Exception {
        try (RpmsgLoopback loop = RpmsgLoopback.start(RpmsgLoopback.table(RING, 512))) {
            BlockingQueue<Integer> got = new LinkedBlockingQueue<>();
            RpmsgTestSupport.Pair pair = RpmsgTestSupport.bind(loop, "flow",
                    (ep, msg) -> got.add(msg.getIntLE(0)), RpmsgTestSupport.ignore());
            pair.host().pauseDelivery();
            assertThat(pair.host().isDeliveryPaused()).isTrue();
            // The remote sends until its TX buffers (the host's RX buffers) are all taken: none comes back.
            int sent = 0;
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (System.nanoTime() < deadline) {
                if (pair.remote().trySend(ints(sent))) {
                    sent++;
                } else if (sent >= RING) {
                    break;
                } else {
                    LockSupport.parkNanos(100_000);
                }
            }
            assertThat(sent).as("the remote had the whole ring and no more").isEqualTo(RING);
            assertThat(pair.remote().trySend(ints(-1))).isFalse();
            assertThat(got).as("nothing delivered while paused").isEmpty();
            // Once the serving thread has looked (it may still hold the device a moment), a paused head is
            // no work: the runner may sleep instead of spinning on a ring it cannot empty.
            long quiet = System.nanoTime() + WAIT.toNanos();
            while (loop.host().hasPendingWork() && System.nanoTime() < quiet) {
                LockSupport.parkNanos(1_000_000);
            }
            assertThat(loop.host().hasPendingWork()).as("a paused head is no work: the runner may sleep").isFalse();

            pair.host().resumeDelivery();
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < RING; i++) {
                order.add(got.poll(WAIT.toSeconds(), TimeUnit.SECONDS));
            }
            assertThat(order).containsExactlyElementsOf(java.util.stream.IntStream.range(0, RING).boxed().toList());
            // The buffers came back: the remote can send again.
            pair.remote().send(ints(RING));
            assertThat(got.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo(RING);
            assertThat(loop.host().stats().dropped()).isEmpty();
        }
    }

    @Test
    @Timeout(60)
    void aPausedHeadHoldsBackTheOtherEndpointsOfTheDeviceToKeepArrivalOrder() throws Exception {
        try (RpmsgLoopback loop = RpmsgLoopback.start(RpmsgLoopback.table(RING, 512))) {
            BlockingQueue<String> got = new LinkedBlockingQueue<>();
            RpmsgTestSupport.Pair slow = RpmsgTestSupport.bind(loop, "slow",
                    (ep, msg) -> got.add("slow" + msg.getIntLE(0)), RpmsgTestSupport.ignore());
            RpmsgTestSupport.Pair fast = RpmsgTestSupport.bind(loop, "fast",
                    (ep, msg) -> got.add("fast" + msg.getIntLE(0)), RpmsgTestSupport.ignore());
            slow.host().pauseDelivery();
            slow.remote().send(ints(0));
            fast.remote().send(ints(0));
            assertThat(got.poll(200, TimeUnit.MILLISECONDS)).as("behind the paused head").isNull();
            slow.host().resumeDelivery();
            assertThat(got.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("slow0");
            assertThat(got.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("fast0");
        }
    }

    @Test
    @Timeout(60)
    void destroyingAPausedEndpointLetsTheOthersFlowAgainAndDropsWhatWasForIt() throws Exception {
        try (RpmsgLoopback loop = RpmsgLoopback.start(RpmsgLoopback.table(RING, 512))) {
            BlockingQueue<String> got = new LinkedBlockingQueue<>();
            RpmsgTestSupport.Pair slow = RpmsgTestSupport.bind(loop, "slow", RpmsgTestSupport.ignore(),
                    RpmsgTestSupport.ignore());
            RpmsgTestSupport.Pair fast = RpmsgTestSupport.bind(loop, "fast",
                    (ep, msg) -> got.add("fast" + msg.getIntLE(0)), RpmsgTestSupport.ignore());
            slow.host().pauseDelivery();
            slow.remote().send(ints(0));
            fast.remote().send(ints(1));
            slow.host().destroy();
            assertThat(got.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("fast1");
        }
    }
}
