package io.rptun.core.rsc;

import java.util.List;
import java.util.Optional;

/**
 * {@code fw_rsc_vdev}: a virtio device, its vrings and its config space.
 *
 * @param id virtio device id ({@link FwRscVdevLayout#VIRTIO_ID_RPMSG} for rpmsg)
 * @param notifyId notify id, or {@link Rsc#NOTIFY_ID_ANY}
 * @param dfeatures features the device offers
 * @param gfeatures features the driver accepted
 * @param status virtio status byte
 * @param reserved0 OpenAMP: 0; NuttX: the master's virtio role ({@link FwRscVdevLayout#ROLE_DRIVER} or
 *     {@link FwRscVdevLayout#ROLE_DEVICE})
 * @param reserved1 0
 * @param vrings at most 255 vrings
 * @param config the config space ({@code config_len} bytes)
 */
public record VdevResource(
        int id,
        int notifyId,
        int dfeatures,
        int gfeatures,
        int status,
        int reserved0,
        int reserved1,
        List<VringResource> vrings,
        RawBytes config) implements ResourceEntry {

    /** {@code num_of_vrings} is a u8. */
    public static final int MAX_VRINGS = 255;

    public VdevResource {
        Checks.u8("status", status);
        Checks.u8("reserved0", reserved0);
        Checks.u8("reserved1", reserved1);
        vrings = List.copyOf(vrings);
        if (vrings.size() > MAX_VRINGS) {
            throw new IllegalArgumentException("vrings=" + vrings.size() + " (at most " + MAX_VRINGS + ")");
        }
    }

    /** An rpmsg vdev (id 7) with status 0, host-assigned notify id, and the given config space. */
    public static VdevResource rpmsg(int dfeatures, List<VringResource> vrings, RawBytes config) {
        return new VdevResource(FwRscVdevLayout.VIRTIO_ID_RPMSG, Rsc.NOTIFY_ID_ANY, dfeatures, 0, 0, 0, 0,
                vrings, config);
    }

    @Override
    public int type() {
        return FwRscHdrLayout.RSC_VDEV;
    }

    @Override
    public long byteSize() {
        return FwRscVdevLayout.sizeOf(vrings.size(), config.length());
    }

    /** NuttX's {@code fw_rsc_config}, when the config space is at least 64 bytes long. */
    public Optional<RptunConfig> rptunConfig() {
        return config.length() >= FwRscConfigLayout.SIZE ? Optional.of(RptunConfig.from(config)) : Optional.empty();
    }

    /** This vdev with its vrings replaced (the planner's write-back). */
    public VdevResource withVrings(List<VringResource> newVrings) {
        return new VdevResource(id, notifyId, dfeatures, gfeatures, status, reserved0, reserved1, newVrings, config);
    }
}
