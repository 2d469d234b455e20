package io.rptun.core.rpmsg;

import static io.rptun.core.rpmsg.RpmsgTestSupport.bind;
import static io.rptun.core.rpmsg.RpmsgTestSupport.ignore;
import static io.rptun.core.rpmsg.RpmsgTestSupport.into;
import static io.rptun.core.rpmsg.RpmsgTestSupport.take;
import static org.assertj.core.api.Assertions.assertThat;

import io.rptun.core.loopback.RpmsgLoopback;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import org.junit.jupiter.api.Test;

/** The device's counters: payload bytes each way on every send path, publications, and kicks received. */
class RpmsgStatsTest {

    @Test
    void everySendPathCountsItsPayloadBytesOnBothSides() throws Exception {
        try (RpmsgLoopback loop = RpmsgTestSupport.loopback(8)) {
            BlockingQueue<byte[]> atRemote = new LinkedBlockingQueue<>();
            RpmsgTestSupport.Pair pair = bind(loop, "bytes", ignore(), into(atRemote));
            RpmsgStats hostBefore = loop.host().stats();
            RpmsgStats remoteBefore = loop.remote().stats();

            pair.host().send(new byte[10]);                                          // the copying send
            pair.host().trySendWith(20, (n, payload) -> n);                          // zero-copy, no handle
            pair.host().txBuffer().send(30);                                        // zero-copy with a handle
            pair.host().trySendAll(List.of(MemorySegment.ofArray(new byte[40]),      // a batch
                    MemorySegment.ofArray(new byte[50])), 0);
            for (int i = 0; i < 5; i++) {
                take(atRemote);
            }

            long sent = 10 + 20 + 30 + 40 + 50;
            assertThat(loop.host().stats().bytesSent() - hostBefore.bytesSent()).isEqualTo(sent);
            assertThat(RpmsgTestSupport.awaitCount(() -> loop.remote().stats().bytesReceived()
                    - remoteBefore.bytesReceived(), sent)).isEqualTo(sent);
            assertThat(loop.host().stats().sent() - hostBefore.sent()).isEqualTo(5);
            assertThat(loop.host().stats().txPublications() - hostBefore.txPublications())
                    .as("the batch of two is one publication").isBetween(1L, 4L);
        }
    }

    @Test
    void aSideWokenByThePeersKickCountsIt() throws Exception {
        try (RpmsgLoopback loop = RpmsgTestSupport.loopback(8)) {
            BlockingQueue<byte[]> atHost = new LinkedBlockingQueue<>();
            RpmsgTestSupport.Pair pair = bind(loop, "kicks", into(atHost), ignore());
            long before = loop.host().stats().notificationsReceived();
            // Each message comes after the host's serving loop had time to fall asleep: the remote must kick.
            for (int i = 0; i < 3; i++) {
                Thread.sleep(50);
                pair.remote().send(new byte[] {(byte) i});
                take(atHost);
            }
            assertThat(loop.host().stats().notificationsReceived() - before).isGreaterThanOrEqualTo(1);
            assertThat(loop.remote().stats().notificationsSent()).isPositive();
        }
    }
}
