package io.rptun.core.nuttx;

import static io.rptun.core.nuttx.NuttxTestSupport.await;
import static io.rptun.core.nuttx.NuttxTestSupport.take;
import static org.assertj.core.api.Assertions.assertThat;

import io.rptun.core.loopback.RpmsgLoopback;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Each service against itself: rptun as NuttX's server and rptun as NuttX's proxy. */
@Timeout(60)
class NuttxJavaToJavaTest {

    @Test
    void bothSidesPingEachOtherOverTheirOneEndpointEach() throws Exception {
        try (RpmsgLoopback loop = NuttxTestSupport.loopback(); NuttxPing server = NuttxPing.open(loop.host());
                NuttxPing proxy = NuttxPing.open(loop.remote())) {
            NuttxTestSupport.awaitBound(server.endpoint(), proxy.endpoint());
            int flags = NuttxPing.ACK | NuttxPing.CHECK | NuttxPing.RANDOMLEN;
            PingResult down = server.ping(PingRequest.of(200, 1000, flags, Duration.ZERO));
            PingResult up = proxy.ping(PingRequest.of(200, 1000, flags, Duration.ZERO));
            assertThat(down.answered()).isEqualTo(200);
            assertThat(up.answered()).isEqualTo(200);
            assertThat(down.mismatched() + up.mismatched()).isZero();
            await("both answered all", () -> server.counters().answered() == 200 && proxy.counters().answered() == 200);
            assertThat(server.counters().drops().total() + proxy.counters().drops().total()).isZero();
        }
    }

    @Test
    void aSlaveClientLogsToAMasterServerAndSyncDeliversEverythingBeforeIt() throws Exception {
        try (RpmsgLoopback loop = NuttxTestSupport.loopback()) {
            BlockingQueue<String> lines = new LinkedBlockingQueue<>();
            try (NuttxSyslogServer server = NuttxSyslogServer.open(loop.host(), lines::add);
                    NuttxSyslogClient client = NuttxSyslogClient.open(loop.remote())) {
                NuttxTestSupport.awaitBound(server.endpoint(), client.endpoint());
                for (int i = 0; i < 1000; i++) {
                    client.log("[proxy] message " + i);
                }
                server.sync(NuttxTestSupport.WAIT);
                assertThat(lines).hasSize(1000);
                assertThat(take(lines)).isEqualTo("[proxy] message 0");
                server.suspend();
                await("suspended", client::isSuspended);
                client.log("held");
                server.resume();
                await("resumed and sent", () -> lines.contains("held"));
                assertThat(server.drops().total() + client.drops().total()).isZero();
            }
        }
    }
}
