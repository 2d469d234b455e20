package io.rptun.core.memory;

/**
 * One window of the address environment: {@code size} bytes at physical address {@code pa} are seen by
 * the device at device address {@code da}.
 *
 * <p>Mirrors one element of NuttX {@code struct rptun_addrenv_s} (the list returned by
 * {@code get_addrenv}). All three fields are non-negative; a window with {@code size == 0} only ends a
 * NuttX list (see {@link AddressEnvironment#fromTerminated(java.util.List)}) and is refused inside an
 * {@link AddressEnvironment}.
 *
 * @param pa   first physical address of the window
 * @param da   first device address of the window
 * @param size length of the window in bytes
 */
public record AddressWindow(long pa, long da, long size) {

    /**
     * Checks that every field is non-negative.
     *
     * @throws IllegalArgumentException naming the negative field and its value, e.g. {@code "pa=-1"}
     */
    public AddressWindow {
        if (pa < 0) {
            throw new IllegalArgumentException("pa=" + pa);
        }
        if (da < 0) {
            throw new IllegalArgumentException("da=" + da);
        }
        if (size < 0) {
            throw new IllegalArgumentException("size=" + size);
        }
    }

    /** Whether {@code address} lies in {@code [pa, pa + size)}; never overflows. */
    public boolean containsPa(long address) {
        return address >= pa && address - pa < size;
    }

    /** Whether {@code address} lies in {@code [da, da + size)}; never overflows. */
    public boolean containsDa(long address) {
        return address >= da && address - da < size;
    }

    @Override
    public String toString() {
        return "AddressWindow[pa=0x" + Long.toHexString(pa) + ", da=0x" + Long.toHexString(da)
                + ", size=0x" + Long.toHexString(size) + "]";
    }
}
