package io.rptun.test.contract;

import io.rptun.core.loopback.LoopbackDrivers;
import java.time.Duration;
import java.util.List;

/**
 * The in-process drivers keep the driver contract: the master boots, the remote attaches to that boot, and
 * each side's notify calls the other's callback. They make no file.
 */
class LoopbackDriversContractTest extends RptunDriverContract {
    @Override
    protected Drivers drivers(Duration attachTimeout) {
        LoopbackDrivers pair = LoopbackDrivers.standard();
        closeAfter(pair);
        return new Drivers(pair.master(), pair::remote, List.of());
    }
}
