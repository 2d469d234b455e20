package io.rptun.core.rpmsg;

import io.rptun.core.virtio.VirtqueuePort;

/**
 * What a device has once READY: its two ports and what was negotiated. Immutable; published once through
 * the device's volatile {@code link} field.
 *
 * @param tx the TX port (host: driver SEND on vring 1; remote: device SEND on vring 0)
 * @param rx the RX port (host: driver RECEIVE on vring 0; remote: device RECEIVE on vring 1)
 * @param txBufferSize TX buffer size, header included
 * @param rxBufferSize RX buffer size, header included
 * @param features the negotiated features (gfeatures)
 * @param localCpu this side's cpu name (F_CPUNAME), or ""
 * @param remoteCpu the other side's cpu name (F_CPUNAME), or ""
 * @param maxPayload the largest payload one TX buffer carries
 */
record RpmsgLink(VirtqueuePort tx, VirtqueuePort rx, int txBufferSize, int rxBufferSize, int features,
        String localCpu, String remoteCpu, int maxPayload) {
    boolean has(int feature) {
        return (features & feature) != 0;
    }
}
