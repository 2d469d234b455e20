package io.rptun.core.rpmsg;

import static io.rptun.core.rpmsg.RpmsgTestSupport.WAIT;
import static io.rptun.core.rpmsg.RpmsgTestSupport.bind;
import static io.rptun.core.rpmsg.RpmsgTestSupport.into;
import static io.rptun.core.rpmsg.RpmsgTestSupport.take;
import static org.assertj.core.api.Assertions.assertThat;

import io.rptun.core.loopback.RpmsgLoopback;
import io.rptun.core.rpmsg.RpmsgException.Reason;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** A listener's failure is the listener's: counted on its endpoint, logged once, and the device serves on. */
class RpmsgCallbackFailureTest {

    @Test
    void aListenerThatThrowsIsCountedOnItsEndpointAndTheDeviceKeepsServing() throws Exception {
        try (RpmsgLoopback loop = RpmsgTestSupport.loopback(8)) {
            BlockingQueue<byte[]> echoes = new LinkedBlockingQueue<>();
            RpmsgTestSupport.Pair pair = bind(loop, "flaky", into(echoes), (ep, msg) -> {
                if ((msg.toByteArray()[0] & 1) == 1) {
                    throw new IllegalStateException("odd message " + msg.toByteArray()[0]);
                }
                ep.sendTo(msg.src(), msg.payload());
            });
            for (int i = 0; i < 20; i++) {
                pair.host().send(new byte[] {(byte) i});
            }
            for (int i = 0; i < 20; i += 2) {
                assertThat(take(echoes)).containsExactly((byte) i);
            }
            // Message 19 fails after echo 18 is on its way: its count settles a moment later.
            assertThat(RpmsgTestSupport.awaitCount(pair.remote()::callbackFailures, 10)).isEqualTo(10);
            assertThat(pair.host().callbackFailures()).isZero();
            assertThat(RpmsgTestSupport.awaitCount(() -> loop.remote().stats().dropped(Reason.CALLBACK_FAILED), 10))
                    .isEqualTo(10);
            assertThat(loop.remote().state()).isEqualTo(RpmsgDevice.State.READY);
        }
    }

    @ParameterizedTest(name = "the listener catches the timeout: {0}")
    @ValueSource(booleans = {true, false})
    void aSendThatTimesOutInsideACallbackIsCountedOnceOnItsEndpoint(boolean listenerCatches) throws Exception {
        try (RpmsgLoopback loop = RpmsgTestSupport.loopback(8)) {
            BlockingQueue<byte[]> replies = new LinkedBlockingQueue<>();
            RpmsgTestSupport.Pair pair = bind(loop, "replier", into(replies), (ep, msg) -> {
                MemorySegment reply = MemorySegment.ofArray(msg.toByteArray());
                if (!listenerCatches) {
                    ep.send(reply, Duration.ofMillis(50));
                    return;
                }
                try {
                    ep.send(reply, Duration.ofMillis(50));
                } catch (RpmsgException e) {
                    assertThat(e.reason()).isEqualTo(Reason.NO_TX_BUFFER);
                }
            });
            // The host takes no reply: the remote's 8 TX buffers (the host's RX buffers) are gone after 8.
            pair.host().pauseDelivery();
            for (int i = 0; i < 10; i++) {
                pair.host().send(new byte[] {(byte) i});
            }
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (pair.remote().callbackFailures() < 2 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(pair.remote().callbackFailures()).as("replies 9 and 10 timed out, each counted once")
                    .isEqualTo(2);
            pair.host().resumeDelivery();
            for (int i = 0; i < 8; i++) {
                assertThat(take(replies)).containsExactly((byte) i);
            }
            assertThat(replies.poll(100, TimeUnit.MILLISECONDS)).isNull();
            assertThat(loop.remote().stats().dropped(Reason.CALLBACK_FAILED)).isEqualTo(2);
            assertThat(loop.remote().state()).isEqualTo(RpmsgDevice.State.READY);
        }
    }
}
