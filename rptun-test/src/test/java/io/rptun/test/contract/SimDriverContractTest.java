package io.rptun.test.contract;

import io.rptun.sim.SimDriver;
import io.rptun.sim.SimOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;

/** The simulator's driver keeps the driver contract: a host over a fresh file, a remote in this JVM attaching to it. */
class SimDriverContractTest extends RptunDriverContract {
    @TempDir
    Path dir;
    private int links;

    @Override
    protected Drivers drivers(Duration attachTimeout) {
        Path file = dir.resolve("link-" + ++links);
        SimOptions options = SimOptions.defaults("contract").withPath(file).withAttachTimeout(attachTimeout);
        return new Drivers(SimDriver.host(options, null), () -> SimDriver.remote(options), List.of(file));
    }
}
