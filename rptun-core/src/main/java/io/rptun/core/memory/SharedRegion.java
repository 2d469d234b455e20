package io.rptun.core.memory;

import io.rptun.core.memory.AddressException.Reason;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * The local mapping of the shared memory, and the checked way from an untrusted address to its bytes.
 *
 * <p>Byte 0 of {@link #segment()} is physical address {@link #basePa()}; the region covers
 * {@code [basePa, basePa + size)}. Device addresses go through the {@link AddressEnvironment} (NuttX
 * {@code get_addrenv} / {@code struct rptun_addrenv_s}) to a physical address first.
 *
 * <p>Every address read from shared memory is untrusted: each method here checks that the whole range
 * lies inside the region, with no arithmetic that can overflow, and throws {@link AddressException}
 * ({@link Reason#OUTSIDE_REGION}, {@link Reason#NEGATIVE_LENGTH}, or a translation reason) rather than
 * an {@link IndexOutOfBoundsException}. An empty range may sit at the very end of the region.
 *
 * <p>Immutable and thread-safe (the bytes of the segment are, of course, shared and mutable).
 */
public final class SharedRegion {
    /**
     * Which address a vring descriptor carries. The resource table always holds device addresses; what a
     * descriptor holds is the driver's convention: rptun and OpenAMP's Linux demo (identity environment,
     * where both are the same) write the device address, NuttX writes the physical address
     * ({@code metal_io_virt_to_phys}: in its simulator the master's virtual address, {@code base} + offset).
     */
    public enum DescriptorAddress {
        /** {@code desc.addr} is a device address (da): rptun's default. */
        DA,
        /** {@code desc.addr} is a physical address (pa), as NuttX writes it. */
        PA
    }

    private final MemorySegment segment;
    private final long basePa;
    private final long size;
    private final AddressEnvironment environment;
    private final DescriptorAddress descriptors;

    private SharedRegion(MemorySegment segment, long basePa, AddressEnvironment environment,
            DescriptorAddress descriptors) {
        this.segment = segment;
        this.basePa = basePa;
        this.size = segment.byteSize();
        this.environment = environment;
        this.descriptors = descriptors;
    }

    /** The same region, with descriptors carrying {@code value} addresses. */
    public SharedRegion withDescriptorAddress(DescriptorAddress value) {
        return new SharedRegion(segment, basePa, environment, Objects.requireNonNull(value, "value"));
    }

    /** Which address the vring descriptors over this region carry. */
    public DescriptorAddress descriptorAddress() {
        return descriptors;
    }

    /** What a descriptor pointing at region offset {@code offset} carries in {@code desc.addr}. */
    public long descriptorAddressOf(long offset) {
        return descriptors == DescriptorAddress.PA ? paOfOffset(offset) : daOfOffset(offset);
    }

    /**
     * The region offset of an untrusted {@code desc.addr}, its whole range checked.
     *
     * @throws AddressException as {@link #offsetOfDa} or {@link #offsetOfPa}
     */
    public long offsetOfDescriptorAddress(long addr, long length) {
        return descriptors == DescriptorAddress.PA ? offsetOfPa(addr, length) : offsetOfDa(addr, length);
    }

    /**
     * Describes a mapping of the shared memory.
     *
     * @param mapping the local mapping; its byte 0 is physical address {@code basePa}
     * @param basePa  the physical address of the mapping's first byte
     * @param env     the address environment used for device addresses
     * @throws IllegalArgumentException if {@code basePa} is negative or {@code basePa + size} exceeds
     *                                  {@code 2^63 - 1}
     */
    public static SharedRegion of(MemorySegment mapping, long basePa, AddressEnvironment env) {
        Objects.requireNonNull(mapping, "mapping");
        Objects.requireNonNull(env, "env");
        if (basePa < 0) {
            throw new IllegalArgumentException("basePa=" + basePa);
        }
        if (mapping.byteSize() > Long.MAX_VALUE - basePa) {
            throw new IllegalArgumentException("basePa=0x" + Long.toHexString(basePa) + " size=0x"
                    + Long.toHexString(mapping.byteSize()) + " runs past 0x7fffffffffffffff");
        }
        return new SharedRegion(mapping, basePa, env, DescriptorAddress.DA);
    }

    /**
     * The offset in {@link #segment()} of physical address {@code pa}, after checking that
     * {@code [pa, pa + length)} lies wholly inside the region.
     *
     * @throws AddressException {@link Reason#NEGATIVE_LENGTH} or {@link Reason#OUTSIDE_REGION}
     */
    public long offsetOfPa(long pa, long length) {
        checkLength(pa, length, "pa");
        if (!inside(pa, length)) {
            throw outside(pa, length, "pa range");
        }
        return pa - basePa;
    }

    /**
     * The offset in {@link #segment()} of device address {@code da}: translated to a physical address
     * through the environment (range form, so the whole range must translate the same way), then
     * checked as by {@link #offsetOfPa(long, long)}.
     *
     * @throws AddressException {@link Reason#NEGATIVE_LENGTH}, a translation reason of
     *                          {@link AddressEnvironment#daToPa(long, long)}, or {@link Reason#OUTSIDE_REGION}
     */
    public long offsetOfDa(long da, long length) {
        checkLength(da, length, "da");
        long pa = environment.daToPa(da, length);
        if (!inside(pa, length)) {
            // The message is built here only: this method is on the data path and must not allocate.
            throw outside(da, length, "da range (translated to pa 0x" + Long.toHexString(pa) + ")");
        }
        return pa - basePa;
    }

    /**
     * The physical address of the byte at {@code offset}.
     *
     * @throws AddressException {@link Reason#OUTSIDE_REGION} unless {@code 0 <= offset < size()}
     */
    public long paOfOffset(long offset) {
        if (offset < 0 || offset >= size) {
            throw new AddressException(Reason.OUTSIDE_REGION, offset, 1,
                    "offset 0x" + Long.toHexString(offset) + " is not in [0, 0x" + Long.toHexString(size) + ")");
        }
        return basePa + offset;
    }

    /**
     * The device address of the byte at {@code offset}: its physical address translated through the
     * environment.
     *
     * @throws AddressException {@link Reason#OUTSIDE_REGION} unless {@code 0 <= offset < size()}
     */
    public long daOfOffset(long offset) {
        return environment.paToDa(paOfOffset(offset));
    }

    /**
     * The bytes {@code [da, da + length)}, checked as by {@link #offsetOfDa(long, long)}; the slice
     * aliases the mapping.
     *
     * @throws AddressException as {@link #offsetOfDa(long, long)}
     */
    public MemorySegment sliceDa(long da, long length) {
        return segment.asSlice(offsetOfDa(da, length), length);
    }

    /**
     * The bytes {@code [pa, pa + length)}, checked as by {@link #offsetOfPa(long, long)}; the slice
     * aliases the mapping.
     *
     * @throws AddressException as {@link #offsetOfPa(long, long)}
     */
    public MemorySegment slicePa(long pa, long length) {
        return segment.asSlice(offsetOfPa(pa, length), length);
    }

    /** The size of the region in bytes. */
    public long size() {
        return size;
    }

    /** The local mapping; byte 0 is physical address {@link #basePa()}. */
    public MemorySegment segment() {
        return segment;
    }

    /** The address environment used for device addresses. */
    public AddressEnvironment environment() {
        return environment;
    }

    /** The physical address of the mapping's first byte. */
    public long basePa() {
        return basePa;
    }

    /** True if {@code [pa, pa + length)} lies wholly inside, with no arithmetic that can overflow. */
    private boolean inside(long pa, long length) {
        return pa >= basePa && pa - basePa <= size && length <= size - (pa - basePa);
    }

    private static void checkLength(long address, long length, String space) {
        if (length < 0) {
            throw new AddressException(Reason.NEGATIVE_LENGTH, address, length,
                    space + " range length 0x" + Long.toHexString(length) + " is negative");
        }
    }

    private AddressException outside(long address, long length, String what) {
        return new AddressException(Reason.OUTSIDE_REGION, address, length,
                what + " does not lie inside the shared region [pa 0x" + Long.toHexString(basePa)
                        + ", pa 0x" + Long.toHexString(basePa + size) + ")");
    }

    @Override
    public String toString() {
        return "SharedRegion[pa 0x" + Long.toHexString(basePa) + "..0x" + Long.toHexString(basePa + size)
                + ", size 0x" + Long.toHexString(size) + ", " + environment + "]";
    }
}
