package io.rptun.core.rpmsg;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** NuttX's ping protocol: the responder answers like {@code rpmsg_ping.c}. */
@Timeout(60)
class RpmsgPingTest {
    /** An answer as the client saw it. */
    record Answer(int cmd, long cookie, int length, boolean zeroed) {
    }

    @Test
    void theResponderAcknowledgesChecksAndZeroesDataAndIgnoresWhatItShould() throws Exception {
        try (RpmsgLoopback loop = RpmsgLoopback.start(RpmsgLoopback.table(16, 512))) {
            RpmsgPing.Counters counters = new RpmsgPing.Counters();
            BlockingQueue<Answer> answers = new LinkedBlockingQueue<>();
            RpmsgTestSupport.Pair pair = RpmsgTestSupport.bind(loop, RpmsgPing.NAME,
                    (ep, msg) -> answers.add(new Answer(RpmsgPing.cmd(msg), RpmsgPing.cookie(msg), msg.length(),
                            RpmsgPing.dataZeroed(msg))),
                    RpmsgPing.responder(counters));
            RpmsgEndpoint client = pair.host();

            send(client, RpmsgPing.SEND, 64, 7);
            assertThat(answers.poll(10, TimeUnit.SECONDS)).isEqualTo(new Answer(RpmsgPing.ACK, 7, 64, true));
            send(client, RpmsgPing.SEND_CHECK, 200, 8);
            assertThat(answers.poll(10, TimeUnit.SECONDS)).isEqualTo(new Answer(RpmsgPing.ACK, 8, 200, true));
            assertThat(counters.badData()).isZero();

            // A checked ping with a wrong byte is still answered, and counted.
            RpmsgTxBuffer tx = client.txBuffer();
            int n = RpmsgPing.write(tx.payload(), RpmsgPing.SEND_CHECK, 100, 9);
            tx.payload().set(java.lang.foreign.ValueLayout.JAVA_BYTE, 50, (byte) 1);
            tx.send(n);
            assertThat(answers.poll(10, TimeUnit.SECONDS).cookie()).isEqualTo(9);
            assertThat(counters.badData()).isEqualTo(1);

            send(client, RpmsgPing.SEND_NOACK, 32, 10);
            client.send(new byte[5]);
            send(client, RpmsgPing.SEND, 16, 11);
            assertThat(answers.poll(10, TimeUnit.SECONDS)).as("no answer to NOACK nor to a short message")
                    .isEqualTo(new Answer(RpmsgPing.ACK, 11, 16, true));
            assertThat(counters.unanswered()).isEqualTo(1);
            assertThat(counters.malformed()).isEqualTo(1);
            assertThat(counters.answered()).isEqualTo(4);
        }
    }

    @Test
    void aPingIsNeverShorterThanItsHeaderNorLongerThanTheBuffer() {
        MemorySegment out = MemorySegment.ofArray(new byte[64]);
        assertThat(RpmsgPing.write(out, RpmsgPing.SEND, 3, 1)).isEqualTo(RpmsgPing.HEADER_SIZE);
        assertThat(RpmsgPing.write(out, RpmsgPing.SEND, 1000, 1)).isEqualTo(64);
    }

    private static void send(RpmsgEndpoint ep, int cmd, int len, long cookie) {
        RpmsgTxBuffer tx = ep.txBuffer();
        tx.send(RpmsgPing.write(tx.payload(), cmd, len, cookie));
    }
}
