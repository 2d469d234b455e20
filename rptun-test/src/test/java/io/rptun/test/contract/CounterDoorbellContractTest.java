package io.rptun.test.contract;

import io.rptun.core.virtio.Doorbell;
import io.rptun.sim.IdleStrategy;
import io.rptun.sim.NuttxSimDriver;
import io.rptun.sim.NuttxSimLayout;
import io.rptun.sim.NuttxSimOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.io.TempDir;

/**
 * NuttX's counter doorbell keeps the doorbell contract: the server's doorbell of a fresh NuttX simulator
 * file, rung the way NuttX's proxy rings it, by incrementing its counter ({@code seqs}) and waking nobody.
 */
class CounterDoorbellContractTest extends DoorbellContract {
    @TempDir
    Path dir;
    private @Nullable NuttxSimDriver server;

    /** How the doorbell waits; the default back-off here, busy-spin in {@code BusySpinCounterDoorbellContractTest}. */
    IdleStrategy idle() {
        return IdleStrategy.backoff();
    }

    /** A busy-spin doorbell says so; a back-off one may block. */
    @Override
    protected boolean spinsWithoutBlocking() {
        return idle().isBusySpin();
    }

    @Override
    protected Doorbell open() {
        NuttxSimDriver s = NuttxSimDriver.server(NuttxSimOptions.defaults().withPath(dir.resolve("server-proxy"))
                .withAttachTimeout(Duration.ofSeconds(10)).withIdle(idle()));
        server = s;
        return Objects.requireNonNull(s.doorbell(), "the server's doorbell");
    }

    @Override
    protected void ringFromPeer(Doorbell doorbell) {
        NuttxSimLayout.increment(Objects.requireNonNull(server, "server").file().segment(), NuttxSimLayout.SEQS_OFFSET);
    }

    @Override
    protected void release() {
        if (server != null) {
            server.close();
        }
    }
}
