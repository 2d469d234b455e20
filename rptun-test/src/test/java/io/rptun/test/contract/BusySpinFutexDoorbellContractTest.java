package io.rptun.test.contract;

import io.rptun.sim.IdleStrategy;

/** The futex doorbell keeps the doorbell contract when it never sleeps ({@link IdleStrategy#busySpin()}). */
class BusySpinFutexDoorbellContractTest extends FutexDoorbellContractTest {
    @Override
    IdleStrategy idle() {
        return IdleStrategy.busySpin();
    }
}
