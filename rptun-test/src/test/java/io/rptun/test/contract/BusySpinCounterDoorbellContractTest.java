package io.rptun.test.contract;

import io.rptun.sim.IdleStrategy;

/** NuttX's counter doorbell keeps the doorbell contract when it never sleeps ({@link IdleStrategy#busySpin()}). */
class BusySpinCounterDoorbellContractTest extends CounterDoorbellContractTest {
    @Override
    IdleStrategy idle() {
        return IdleStrategy.busySpin();
    }
}
