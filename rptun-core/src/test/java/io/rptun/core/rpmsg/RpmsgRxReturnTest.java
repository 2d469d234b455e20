package io.rptun.core.rpmsg;

import static io.rptun.core.rpmsg.RpmsgTestSupport.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.rptun.core.loopback.RpmsgLoopback;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** When the serving thread gives delivered RX buffers back to the peer. */
@Timeout(60)
class RpmsgRxReturnTest {
    private static final int NUM = 8;

    /**
     * The host's callback returns only once the remote has sent the next message, so each serving pass finds
     * more in the ring and goes on: the case of a peer that answers every message. Buffers held until the
     * pass ends would leave the remote without one after {@value #NUM} rounds (CI caught that as a trySend
     * that said "none free" with all of them delivered and done with).
     */
    @Test
    void buffersGoBackBatchByBatchSoAPeerThatAnswersEachMessageNeverRunsOut() throws Exception {
        int rounds = 4 * NUM;
        try (RpmsgLoopback loop = loopback(NUM)) {
            BlockingQueue<Integer> atHost = new LinkedBlockingQueue<>();
            AtomicInteger sentByRemote = new AtomicInteger();
            Pair p = bind(loop, "pass", (ep, msg) -> {
                int v = msg.getIntLE(0);
                atHost.add(v);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
                while (v + 1 < rounds && sentByRemote.get() <= v + 1 && System.nanoTime() - deadline < 0) {
                    LockSupport.parkNanos(20_000);
                }
            }, ignore());

            for (int i = 0; i < rounds; i++) {
                assertThat(p.remote().trySend(ints(i))).as("round %d: the remote has a TX buffer", i).isTrue();
                sentByRemote.incrementAndGet();
                assertThat(atHost.poll(10, TimeUnit.SECONDS)).isEqualTo(i);
            }
        }
    }
}
