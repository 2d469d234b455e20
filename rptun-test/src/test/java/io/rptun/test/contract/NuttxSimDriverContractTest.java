package io.rptun.test.contract;

import io.rptun.core.lifecycle.RptunDriver;
import io.rptun.core.lifecycle.RptunOptions;
import io.rptun.sim.NuttxSimDriver;
import io.rptun.sim.NuttxSimOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;

/**
 * NuttX's simulator transport keeps the driver contract: a Java server lays out NuttX's file, a Java proxy
 * attaches (NuttX's proxy sends no READY, so the server waits for none).
 */
class NuttxSimDriverContractTest extends RptunDriverContract {
    @TempDir
    Path dir;
    private int links;

    @Override
    protected Drivers drivers(Duration attachTimeout) {
        Path file = dir.resolve("server-proxy-" + ++links);
        NuttxSimOptions options = NuttxSimOptions.defaults().withPath(file).withAttachTimeout(attachTimeout);
        return new Drivers(NuttxSimDriver.server(options), () -> NuttxSimDriver.proxy(options), List.of(file));
    }

    @Override
    protected RptunOptions options(RptunDriver driver) {
        return driver.isMaster()
                ? super.options(driver).withReadyCommand(false).withMailboxTimeout(Duration.ofMillis(500))
                : super.options(driver);
    }
}
