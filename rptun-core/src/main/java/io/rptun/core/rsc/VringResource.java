package io.rptun.core.rsc;

import io.rptun.core.memory.WireLayouts;

/**
 * {@code fw_rsc_vdev_vring}: where one vring lives and how big it is.
 *
 * @param da device address, or 0 / {@link Rsc#ADDR_ANY} to be allocated from the vdev's carveout
 * @param align alignment of the used ring, a power of two
 * @param num number of descriptors, a power of two up to 32768
 * @param notifyId notify id, or {@link Rsc#NOTIFY_ID_ANY} to be assigned by the host
 * @param reserved 0 in OpenAMP
 */
public record VringResource(long da, long align, int num, int notifyId, int reserved) {

    /** The largest vring: {@code idx} fields are u16 and {@code num} must be below 2^16. */
    public static final int MAX_NUM = 32768;

    public VringResource {
        Checks.u32("da", da);
        Checks.u32("align", align);
        if (!WireLayouts.isPowerOfTwo(align)) {
            throw new IllegalArgumentException("align=" + align + " (must be a power of two)");
        }
        if (!WireLayouts.isPowerOfTwo(num) || num > MAX_NUM) {
            throw new IllegalArgumentException("num=" + num + " (must be a power of two up to " + MAX_NUM + ")");
        }
    }

    /** A vring to be allocated from the carveout, with a host-assigned notify id. */
    public static VringResource allocated(int num, long align) {
        return new VringResource(Rsc.ADDR_ANY, align, num, Rsc.NOTIFY_ID_ANY, 0);
    }

    /** True when the da asks to be allocated (0 or ANY). */
    public boolean isDaAllocated() {
        return da == 0 || da == Rsc.ADDR_ANY;
    }

    /** This vring with another da (the planner's write-back). */
    public VringResource withDa(long newDa) {
        return new VringResource(newDa, align, num, notifyId, reserved);
    }

    /** This vring with another notify id: how a host gives out the ids a table left as {@link Rsc#NOTIFY_ID_ANY}. */
    public VringResource withNotifyId(int newNotifyId) {
        return new VringResource(da, align, num, newNotifyId, reserved);
    }
}
