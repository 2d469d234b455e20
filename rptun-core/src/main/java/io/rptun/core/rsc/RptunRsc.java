package io.rptun.core.rsc;

import static io.rptun.core.rsc.ResourceTableException.Reason.NOT_STANDARD;

import io.rptun.core.rsc.RptunRscLayout.Generation;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * NuttX's standard RPTUN resource table, {@code struct rptun_rsc_s}, as an immutable builder: start from
 * {@link #defaults(Generation)}, change what you need with the {@code withXxx} methods, then
 * {@link #toTable()} or {@link #toBytes()}.
 *
 * <pre>{@code
 * byte[] rsc = RptunRsc.defaults(Generation.CURRENT)
 *         .withVrings(256, 0x1000)
 *         .withBufferSizes(512, 512)
 *         .withCpuNames("host", "remote")
 *         .withCarveout(0x10000, 0x10000, 0x70000)
 *         .toBytes();                       // 264 bytes, offsets as in rptun_rsc_s
 * }</pre>
 *
 * <p>The entries are laid out exactly where {@code rptun_rsc_s} has them ({@link RptunRscLayout}), and the
 * byte array is padded to {@code sizeof(rptun_rsc_s)}.
 *
 * @param generation seed (NuttX 12.x, no carveout entry) or current (NuttX 13.x)
 * @param vringNum descriptors per vring (power of two)
 * @param vringAlign alignment of each vring (power of two)
 * @param vring0Da da of vring 0 (0 or ANY: allocate from the carveout)
 * @param vring1Da da of vring 1
 * @param vringNotifyIds notify ids of vring 0 and 1 (ANY: host assigns)
 * @param vdevNotifyId the vdev's notify id
 * @param dfeatures device features ({@code 1 << VIRTIO_RPMSG_F_NS | ...})
 * @param masterRole NuttX's vdev {@code reserved[0]}: {@link FwRscVdevLayout#ROLE_DRIVER} or {@code ROLE_DEVICE}
 * @param config the {@code fw_rsc_config}: buffer sizes and addresses, cpu names
 * @param trace the {@code log_trace} entry
 * @param carveout the carveout entry (current generation only; ignored in the seed generation)
 */
public record RptunRsc(
        Generation generation,
        int vringNum,
        long vringAlign,
        long vring0Da,
        long vring1Da,
        List<Integer> vringNotifyIds,
        int vdevNotifyId,
        int dfeatures,
        int masterRole,
        RptunConfig config,
        TraceResource trace,
        CarveoutResource carveout) {

    /** {@code VIRTIO_RPMSG_F_NS}: name service. */
    public static final int F_NS = 1;
    /** {@code VIRTIO_RPMSG_F_ACK}: two-phase name service. */
    public static final int F_ACK = 1 << 1;
    /** {@code VIRTIO_RPMSG_F_BUFSZ}: per-direction buffer sizes from {@code fw_rsc_config}. */
    public static final int F_BUFSZ = 1 << 2;
    /** {@code VIRTIO_RPMSG_F_CPUNAME}: cpu names from {@code fw_rsc_config}. */
    public static final int F_CPUNAME = 1 << 3;
    /** {@code VIRTIO_RPMSG_F_BUFADDR}: buffer addresses from {@code fw_rsc_config}. */
    public static final int F_BUFADDR = 1 << 4;
    /** The buffer size without F_BUFSZ. */
    public static final int DEFAULT_BUFFER_SIZE = 512;

    public RptunRsc {
        vringNotifyIds = List.copyOf(vringNotifyIds);
        if (vringNotifyIds.size() != 2) {
            throw new IllegalArgumentException("vringNotifyIds=" + vringNotifyIds + " (needs two)");
        }
        // The vring records check num, align and both das.
        new VringResource(vring0Da, vringAlign, vringNum, 0, 0);
        new VringResource(vring1Da, vringAlign, vringNum, 0, 0);
        Checks.u8("masterRole", masterRole);
    }

    /**
     * A table with NuttX's usual values: 8 descriptors of alignment 8 per vring, both da allocated, notify
     * ids ANY, features NS | ACK | BUFSZ | CPUNAME, 512-byte buffers both ways, cpu names "host" and
     * "remote", the master as virtio driver, an empty trace entry and (current generation) a carveout of
     * length 0 at ANY.
     */
    public static RptunRsc defaults(Generation generation) {
        return new RptunRsc(generation, 8, 8, Rsc.ADDR_ANY, Rsc.ADDR_ANY,
                List.of(Rsc.NOTIFY_ID_ANY, Rsc.NOTIFY_ID_ANY), Rsc.NOTIFY_ID_ANY,
                F_NS | F_ACK | F_BUFSZ | F_CPUNAME, FwRscVdevLayout.ROLE_DRIVER,
                new RptunConfig(DEFAULT_BUFFER_SIZE, DEFAULT_BUFFER_SIZE, 0, 0, "host", "remote"),
                new TraceResource(0, 0, 0, ""),
                CarveoutResource.of("", Rsc.ADDR_ANY, Rsc.ADDR_ANY, 0));
    }

    public RptunRsc withGeneration(Generation value) {
        return new RptunRsc(value, vringNum, vringAlign, vring0Da, vring1Da, vringNotifyIds, vdevNotifyId,
                dfeatures, masterRole, config, trace, carveout);
    }

    /** Both vrings' descriptor count and alignment. */
    public RptunRsc withVrings(int num, long align) {
        return new RptunRsc(generation, num, align, vring0Da, vring1Da, vringNotifyIds, vdevNotifyId,
                dfeatures, masterRole, config, trace, carveout);
    }

    /** Static vring addresses, or {@link Rsc#ADDR_ANY} to allocate them from the carveout. */
    public RptunRsc withVringDas(long da0, long da1) {
        return new RptunRsc(generation, vringNum, vringAlign, da0, da1, vringNotifyIds, vdevNotifyId,
                dfeatures, masterRole, config, trace, carveout);
    }

    public RptunRsc withNotifyIds(int vdev, int vring0, int vring1) {
        return new RptunRsc(generation, vringNum, vringAlign, vring0Da, vring1Da, List.of(vring0, vring1), vdev,
                dfeatures, masterRole, config, trace, carveout);
    }

    public RptunRsc withFeatures(int value) {
        return new RptunRsc(generation, vringNum, vringAlign, vring0Da, vring1Da, vringNotifyIds, vdevNotifyId,
                value, masterRole, config, trace, carveout);
    }

    public RptunRsc withMasterRole(int role) {
        return new RptunRsc(generation, vringNum, vringAlign, vring0Da, vring1Da, vringNotifyIds, vdevNotifyId,
                dfeatures, role, config, trace, carveout);
    }

    public RptunRsc withConfig(RptunConfig value) {
        return new RptunRsc(generation, vringNum, vringAlign, vring0Da, vring1Da, vringNotifyIds, vdevNotifyId,
                dfeatures, masterRole, value, trace, carveout);
    }

    /** Host-to-remote and remote-to-host buffer sizes (used with F_BUFSZ). */
    public RptunRsc withBufferSizes(long h2r, long r2h) {
        return withConfig(new RptunConfig(h2r, r2h, config.h2rBufAddr(), config.r2hBufAddr(),
                config.hostCpuName(), config.remoteCpuName()));
    }

    /** Host-to-remote and remote-to-host buffer addresses (used with F_BUFADDR). */
    public RptunRsc withBufferAddresses(long h2r, long r2h) {
        return withConfig(new RptunConfig(config.h2rBufSize(), config.r2hBufSize(), h2r, r2h,
                config.hostCpuName(), config.remoteCpuName()));
    }

    /** Cpu names, at most 7 bytes each (used with F_CPUNAME). */
    public RptunRsc withCpuNames(String host, String remote) {
        return withConfig(new RptunConfig(config.h2rBufSize(), config.r2hBufSize(), config.h2rBufAddr(),
                config.r2hBufAddr(), host, remote));
    }

    public RptunRsc withTrace(long da, long len, String name) {
        return new RptunRsc(generation, vringNum, vringAlign, vring0Da, vring1Da, vringNotifyIds, vdevNotifyId,
                dfeatures, masterRole, config, new TraceResource(da, len, 0, name), carveout);
    }

    /** The carveout entry of the current generation (ignored by the seed generation), keeping its name. */
    public RptunRsc withCarveout(long da, long pa, long len) {
        return withCarveout(CarveoutResource.of(carveout.name(), da, pa, len));
    }

    public RptunRsc withCarveout(CarveoutResource value) {
        return new RptunRsc(generation, vringNum, vringAlign, vring0Da, vring1Da, vringNotifyIds, vdevNotifyId,
                dfeatures, masterRole, config, trace, value);
    }

    /** The rpmsg vdev entry this table holds. */
    public VdevResource vdev() {
        return new VdevResource(FwRscVdevLayout.VIRTIO_ID_RPMSG, vdevNotifyId, dfeatures, 0, 0, masterRole, 0,
                List.of(new VringResource(vring0Da, vringAlign, vringNum, vringNotifyIds.get(0), 0),
                        new VringResource(vring1Da, vringAlign, vringNum, vringNotifyIds.get(1), 0)),
                config.toBytes());
    }

    /** The table's content: trace, vdev and (current generation) carveout, in that order. */
    public ResourceTable toTable() {
        return generation == Generation.SEED
                ? ResourceTable.of(trace, vdev())
                : ResourceTable.of(trace, vdev(), carveout);
    }

    /** The table in wire form, {@code sizeof(rptun_rsc_s)} bytes (208 or 264). */
    public byte[] toBytes() {
        byte[] bytes = new byte[(int) generation.size()];
        ResourceTableWriter.write(toTable(), MemorySegment.ofArray(bytes));
        return bytes;
    }

    /**
     * Reads a standard table back: the parsed table must have exactly the entries and offsets of one
     * generation of {@code rptun_rsc_s}, with a 64-byte config space and two vrings of equal num and align.
     * Run-time fields are not part of the builder's value and are not carried over: the vdev's status,
     * gfeatures and {@code reserved[1]}, the config's reserved words and the header's mailbox words; read
     * them from the parsed table or a {@link LiveResourceTable}.
     *
     * @throws ResourceTableException with reason {@code NOT_STANDARD} when it does not
     */
    public static RptunRsc from(ParsedResourceTable parsed) {
        List<ResourceEntry> entries = parsed.table().entries();
        Generation generation = entries.size() == 2 ? Generation.SEED : Generation.CURRENT;
        if (entries.size() != generation.entries()) {
            throw notStandard(ResourceTableLayout.NUM_OFFSET, "num=" + entries.size() + ", expected 2 or 3");
        }
        List<Long> expected = generation == Generation.SEED
                ? List.of(generation.logTraceOffset(), generation.rpmsgVdevOffset())
                : List.of(generation.logTraceOffset(), generation.rpmsgVdevOffset(), generation.carveoutOffset());
        if (!parsed.entryOffsets().equals(expected)) {
            throw notStandard(ResourceTableLayout.OFFSETS_OFFSET,
                    "offsets " + parsed.entryOffsets() + ", rptun_rsc_s has " + expected);
        }
        if (!(entries.get(0) instanceof TraceResource trace)) {
            throw notStandard(expected.get(0), "entry 0 is not a trace entry");
        }
        if (!(entries.get(1) instanceof VdevResource vdev) || vdev.vrings().size() != 2
                || vdev.config().length() != FwRscConfigLayout.SIZE) {
            throw notStandard(expected.get(1), "entry 1 is not a vdev with two vrings and a 64-byte config");
        }
        VringResource v0 = vdev.vrings().get(0);
        VringResource v1 = vdev.vrings().get(1);
        if (v0.num() != v1.num() || v0.align() != v1.align() || v0.reserved() != 0 || v1.reserved() != 0
                || vdev.id() != FwRscVdevLayout.VIRTIO_ID_RPMSG) {
            throw notStandard(expected.get(1), "rpmsg vdev with differing vrings or id " + vdev.id());
        }
        CarveoutResource carveout = CarveoutResource.of("", Rsc.ADDR_ANY, Rsc.ADDR_ANY, 0);
        if (generation == Generation.CURRENT) {
            if (!(entries.get(2) instanceof CarveoutResource c)) {
                throw notStandard(expected.get(2), "entry 2 is not a carveout");
            }
            carveout = c;
        }
        return new RptunRsc(generation, v0.num(), v0.align(), v0.da(), v1.da(),
                List.of(v0.notifyId(), v1.notifyId()), vdev.notifyId(), vdev.dfeatures(), vdev.reserved0(),
                RptunConfig.from(vdev.config()), trace, carveout);
    }

    private static ResourceTableException notStandard(long offset, String detail) {
        return new ResourceTableException(NOT_STANDARD, offset, detail);
    }
}
