package io.rptun.core.rsc;

import static io.rptun.core.memory.WireLayouts.LE_U32;
import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.util.Arrays;

/**
 * NuttX {@code struct rptun_rsc_s}: the standard RPTUN resource table, in both generations that exist
 * (see {@link Generation}). The structure starts 8-byte aligned and is padded to a multiple of 8.
 *
 * <pre>
 * SEED (NuttX 12.x)                      CURRENT (NuttX 13.x)
 *   0 resource_table rsc_tbl_hdr (num 2)   0 resource_table rsc_tbl_hdr (num 3)
 *  16 uint32_t offset[2]                  16 uint32_t offset[3]
 *  24 fw_rsc_trace log_trace              28 fw_rsc_trace log_trace
 *  72 fw_rsc_vdev rpmsg_vdev              76 fw_rsc_vdev rpmsg_vdev
 * 100 fw_rsc_vdev_vring rpmsg_vring0     104 fw_rsc_vdev_vring rpmsg_vring0
 * 120 fw_rsc_vdev_vring rpmsg_vring1     124 fw_rsc_vdev_vring rpmsg_vring1
 * 140 fw_rsc_config config               144 fw_rsc_config config
 * 204 (4 bytes of padding)               208 fw_rsc_carveout carveout
 * 208 end                                264 end
 * </pre>
 */
public final class RptunRscLayout {

    /** The two generations of {@code rptun_rsc_s}. */
    public enum Generation {
        /** NuttX 12.x: trace and rpmsg vdev, no carveout entry (the carveout is implicit). */
        SEED(2),
        /** Current NuttX (13.x): trace, rpmsg vdev and a carveout entry. */
        CURRENT(3);

        private final int entries;
        private final StructLayout layout;

        Generation(int entries) {
            this.entries = entries;
            this.layout = layoutFor(entries);
        }

        /** {@code rsc_tbl_hdr.num}. */
        public int entries() {
            return entries;
        }

        /** The whole structure, padding included. */
        public StructLayout layout() {
            return layout;
        }

        /** {@code sizeof(struct rptun_rsc_s)}: 208 (seed) or 264 (current). */
        public long size() {
            return layout.byteSize();
        }

        public long offsetsOffset() {
            return layout.byteOffset(groupElement("offset"));
        }

        public long logTraceOffset() {
            return layout.byteOffset(groupElement("log_trace"));
        }

        public long rpmsgVdevOffset() {
            return layout.byteOffset(groupElement("rpmsg_vdev"));
        }

        public long rpmsgVring0Offset() {
            return layout.byteOffset(groupElement("rpmsg_vring0"));
        }

        public long rpmsgVring1Offset() {
            return layout.byteOffset(groupElement("rpmsg_vring1"));
        }

        public long configOffset() {
            return layout.byteOffset(groupElement("config"));
        }

        /** Offset of the carveout entry; only in {@link #CURRENT}. */
        public long carveoutOffset() {
            if (this != CURRENT) {
                throw new UnsupportedOperationException("the " + this + " rptun_rsc_s has no carveout entry");
            }
            return layout.byteOffset(groupElement("carveout"));
        }
    }

    /** {@code rptun_rsc_s} starts 8-byte aligned; its size is a multiple of 8. */
    public static final long ALIGNMENT = 8;

    private RptunRscLayout() {
    }

    private static StructLayout layoutFor(int entries) {
        MemoryLayout[] fields = {
            ResourceTableLayout.LAYOUT.withName("rsc_tbl_hdr"),
            MemoryLayout.sequenceLayout(entries, LE_U32).withName("offset"),
            FwRscTraceLayout.LAYOUT.withName("log_trace"),
            FwRscVdevLayout.LAYOUT.withName("rpmsg_vdev"),
            FwRscVdevVringLayout.LAYOUT.withName("rpmsg_vring0"),
            FwRscVdevVringLayout.LAYOUT.withName("rpmsg_vring1"),
            FwRscConfigLayout.LAYOUT.withName("config"),
        };
        long unpadded = 0;
        for (MemoryLayout field : fields) {
            unpadded += field.byteSize();
        }
        if (entries == 3) {
            MemoryLayout[] withCarveout = Arrays.copyOf(fields, fields.length + 1);
            withCarveout[fields.length] = FwRscCarveoutLayout.LAYOUT.withName("carveout");
            unpadded += FwRscCarveoutLayout.SIZE;
            fields = withCarveout;
        }
        long padding = (ALIGNMENT - unpadded % ALIGNMENT) % ALIGNMENT;
        if (padding != 0) {
            fields = Arrays.copyOf(fields, fields.length + 1);
            fields[fields.length - 1] = MemoryLayout.paddingLayout(padding);
        }
        return MemoryLayout.structLayout(fields);
    }
}
