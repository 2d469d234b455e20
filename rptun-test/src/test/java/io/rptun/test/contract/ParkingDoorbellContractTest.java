package io.rptun.test.contract;

import io.rptun.core.virtio.Doorbell;
import io.rptun.core.rpmsg.ParkingDoorbell;

/** The in-process doorbell keeps the doorbell contract; its peer rings it as a {@code PeerNotifier}. */
class ParkingDoorbellContractTest extends DoorbellContract {
    @Override
    protected Doorbell open() {
        return new ParkingDoorbell();
    }

    @Override
    protected void ringFromPeer(Doorbell doorbell) {
        ((ParkingDoorbell) doorbell).notify(0);
    }
}
