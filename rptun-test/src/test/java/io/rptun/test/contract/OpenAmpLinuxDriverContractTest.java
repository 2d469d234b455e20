package io.rptun.test.contract;

import io.rptun.core.lifecycle.RptunDriver;
import io.rptun.core.lifecycle.RptunOptions;
import io.rptun.sim.OpenAmpLinuxDriver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;

/**
 * OpenAMP's Linux machine keeps the driver contract: the remote creates the demo's file and listens on the
 * socket, the host connects (OpenAMP has no READY command, so neither side waits for one).
 */
class OpenAmpLinuxDriverContractTest extends RptunDriverContract {
    @TempDir
    Path dir;
    private int links;

    @Override
    protected Drivers drivers(Duration attachTimeout) {
        int n = ++links;
        Path shm = dir.resolve("openamp-" + n + ".shm");
        Path socket = dir.resolve("openamp-" + n + ".sock");
        return new Drivers(OpenAmpLinuxDriver.remote(shm, socket, attachTimeout, true),
                () -> OpenAmpLinuxDriver.host(shm, socket, attachTimeout), List.of(shm, socket));
    }

    @Override
    protected RptunOptions options(RptunDriver driver) {
        return super.options(driver).withReadyCommand(false);
    }
}
