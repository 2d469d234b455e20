package io.rptun.core.memory;

import io.rptun.core.memory.AddressException.Reason;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The address environment: the windows that map physical addresses (pa) to device addresses (da).
 *
 * <p>Mirrors NuttX {@code get_addrenv}, which returns an array of {@code struct rptun_addrenv_s
 * {pa, da, size}} ended by an entry of size 0. pa &rarr; da: find the window holding pa, then
 * {@code da = w.da + (pa - w.pa)}; da &rarr; pa likewise; an address in no window translates to itself
 * (identity). Windows may not overlap each other in pa space nor in da space, so each address has at
 * most one window in each direction.
 *
 * <pre>{@code
 * AddressEnvironment env = AddressEnvironment.of(new AddressWindow(0x8000_0000L, 0x1000, 0x10_0000));
 * env.paToDa(0x8000_0010L);   // 0x1010
 * env.daToPa(0x1010);         // 0x8000_0010
 * env.paToDa(0x42);           // 0x42: in no window, identity
 * env.daToPa(0x1000, 0x20);   // 0x8000_0000: the whole range lies in the window
 * }</pre>
 *
 * <p>Immutable and thread-safe. Lookups are binary searches over sorted arrays (O(log n)) and the
 * translation methods allocate nothing unless they throw. Addresses are non-negative: a negative
 * {@code long} (a {@code uint64_t} of {@code 2^63} or more read from shared memory) is refused with
 * {@link Reason#ADDRESS_OVERFLOW}.
 */
public final class AddressEnvironment {
    private static final AddressEnvironment IDENTITY = new AddressEnvironment(List.of());

    private final List<AddressWindow> windows;
    private final Index byPa;
    private final Index byDa;

    private AddressEnvironment(List<AddressWindow> windowsByPa) {
        this.windows = windowsByPa;
        this.byPa = new Index("pa", windowsByPa, true);
        List<AddressWindow> windowsByDa = new ArrayList<>(windowsByPa);
        windowsByDa.sort(Comparator.comparingLong(AddressWindow::da));
        this.byDa = new Index("da", windowsByDa, false);
    }

    /** The environment with no windows: every address translates to itself. */
    public static AddressEnvironment identity() {
        return IDENTITY;
    }

    /**
     * Builds an environment from windows given in any order.
     *
     * @throws AddressException {@link Reason#EMPTY_WINDOW} for a window of size 0,
     *                          {@link Reason#WRAPPING_WINDOW} if {@code pa + size} or {@code da + size}
     *                          exceeds {@code 2^63 - 1}, {@link Reason#OVERLAPPING_WINDOWS} if two windows
     *                          share bytes in pa space or in da space
     */
    public static AddressEnvironment of(List<AddressWindow> windows) {
        List<AddressWindow> copy = List.copyOf(windows);
        if (copy.isEmpty()) {
            return IDENTITY;
        }
        for (AddressWindow w : copy) {
            if (w.size() == 0) {
                throw new AddressException(Reason.EMPTY_WINDOW, w.pa(), 0,
                        "window " + w + " has size 0; size 0 only ends a NuttX list (use fromTerminated)");
            }
            if (w.size() > Long.MAX_VALUE - w.pa()) {
                throw new AddressException(Reason.WRAPPING_WINDOW, w.pa(), w.size(),
                        "pa range of window " + w + " runs past 0x7fffffffffffffff");
            }
            if (w.size() > Long.MAX_VALUE - w.da()) {
                throw new AddressException(Reason.WRAPPING_WINDOW, w.da(), w.size(),
                        "da range of window " + w + " runs past 0x7fffffffffffffff");
            }
        }
        List<AddressWindow> sortedByPa = new ArrayList<>(copy);
        sortedByPa.sort(Comparator.comparingLong(AddressWindow::pa));
        checkDisjoint(sortedByPa, true);
        List<AddressWindow> sortedByDa = new ArrayList<>(copy);
        sortedByDa.sort(Comparator.comparingLong(AddressWindow::da));
        checkDisjoint(sortedByDa, false);
        return new AddressEnvironment(List.copyOf(sortedByPa));
    }

    /**
     * Builds an environment from windows given in any order.
     *
     * @throws AddressException as {@link #of(List)}
     */
    public static AddressEnvironment of(AddressWindow... windows) {
        return of(Arrays.asList(windows));
    }

    /**
     * Builds an environment from a NuttX-style list: the windows before the first one of size 0. A list
     * with no window of size 0 is taken whole.
     *
     * @throws AddressException as {@link #of(List)}
     */
    public static AddressEnvironment fromTerminated(List<AddressWindow> windows) {
        int end = 0;
        while (end < windows.size() && windows.get(end).size() != 0) {
            end++;
        }
        return of(windows.subList(0, end));
    }

    private static void checkDisjoint(List<AddressWindow> sorted, boolean pa) {
        for (int i = 1; i < sorted.size(); i++) {
            AddressWindow prev = sorted.get(i - 1);
            AddressWindow cur = sorted.get(i);
            long prevStart = pa ? prev.pa() : prev.da();
            long curStart = pa ? cur.pa() : cur.da();
            long prevEnd = prevStart + prev.size();
            if (curStart < prevEnd) {
                String space = pa ? "pa" : "da";
                throw new AddressException(Reason.OVERLAPPING_WINDOWS, curStart, cur.size(),
                        "windows " + prev + " and " + cur + " overlap in " + space + " space at 0x"
                                + Long.toHexString(curStart) + ".." + "0x"
                                + Long.toHexString(Math.min(prevEnd, curStart + cur.size()) - 1));
            }
        }
    }

    /** The windows, in ascending pa order; immutable. Empty for the identity environment. */
    public List<AddressWindow> windows() {
        return windows;
    }

    /** Whether this environment has no windows, so that every address translates to itself. */
    public boolean isIdentity() {
        return windows.isEmpty();
    }

    /**
     * Translates a physical address to a device address: through the window holding it, or identity.
     *
     * @throws AddressException {@link Reason#ADDRESS_OVERFLOW} if {@code pa} is negative
     */
    public long paToDa(long pa) {
        return byPa.translate(pa);
    }

    /**
     * Translates a device address to a physical address: through the window holding it, or identity.
     *
     * @throws AddressException {@link Reason#ADDRESS_OVERFLOW} if {@code da} is negative
     */
    public long daToPa(long da) {
        return byDa.translate(da);
    }

    /**
     * Translates the start of the physical range {@code [pa, pa + length)}, checking that the whole range
     * translates the same way: it lies inside one window, or it touches no window at all (identity).
     *
     * @return the device address of the range's first byte
     * @throws AddressException {@link Reason#NEGATIVE_LENGTH}, {@link Reason#ADDRESS_OVERFLOW} if
     *                          {@code pa} is negative or the range wraps, {@link Reason#RANGE_CROSSES_WINDOW}
     *                          if the range runs out of its window or into one
     */
    public long paToDa(long pa, long length) {
        return byPa.translate(pa, length);
    }

    /**
     * Translates the start of the device range {@code [da, da + length)}, checking that the whole range
     * translates the same way: it lies inside one window, or it touches no window at all (identity).
     *
     * @return the physical address of the range's first byte
     * @throws AddressException as {@link #paToDa(long, long)}
     */
    public long daToPa(long da, long length) {
        return byDa.translate(da, length);
    }

    @Override
    public boolean equals(@Nullable Object o) {
        return o instanceof AddressEnvironment other && windows.equals(other.windows);
    }

    @Override
    public int hashCode() {
        return windows.hashCode();
    }

    @Override
    public String toString() {
        if (windows.isEmpty()) {
            return "AddressEnvironment[identity]";
        }
        StringBuilder sb = new StringBuilder("AddressEnvironment[");
        for (int i = 0; i < windows.size(); i++) {
            AddressWindow w = windows.get(i);
            if (i > 0) {
                sb.append(", ");
            }
            sb.append("pa 0x").append(Long.toHexString(w.pa()))
                    .append(" <-> da 0x").append(Long.toHexString(w.da()))
                    .append(" size 0x").append(Long.toHexString(w.size()));
        }
        return sb.append(']').toString();
    }

    /** Windows sorted by start in one space, with the matching start in the other space. */
    private static final class Index {
        private final String space;
        private final long[] starts;
        private final long[] targets;
        private final long[] sizes;

        Index(String space, List<AddressWindow> sorted, boolean pa) {
            this.space = space;
            int n = sorted.size();
            starts = new long[n];
            targets = new long[n];
            sizes = new long[n];
            for (int i = 0; i < n; i++) {
                AddressWindow w = sorted.get(i);
                starts[i] = pa ? w.pa() : w.da();
                targets[i] = pa ? w.da() : w.pa();
                sizes[i] = w.size();
            }
        }

        /**
         * The index of the window holding {@code address}, or {@code -(next + 1)} where {@code next} is
         * the index of the first window starting above it ({@code n} if none).
         */
        private int find(long address) {
            // Most environments have no window (identity) or one (NuttX's simulator, OpenAMP's demo): no search.
            if (starts.length == 0) {
                return -1;
            }
            if (starts.length == 1) {
                return address - starts[0] >= 0 && address - starts[0] < sizes[0] ? 0
                        : address < starts[0] ? -1 : -2;
            }
            int found = Arrays.binarySearch(starts, address);
            if (found >= 0) {
                return found;
            }
            int next = -found - 1;
            int candidate = next - 1;
            if (candidate >= 0 && address - starts[candidate] < sizes[candidate]) {
                return candidate;
            }
            return -(next + 1);
        }

        long translate(long address) {
            if (address < 0) {
                throw negativeAddress(address, 0);
            }
            int i = find(address);
            return i >= 0 ? targets[i] + (address - starts[i]) : address;
        }

        long translate(long address, long length) {
            if (length < 0) {
                throw new AddressException(Reason.NEGATIVE_LENGTH, address, length,
                        space + " range length 0x" + Long.toHexString(length) + " is negative");
            }
            if (address < 0) {
                throw negativeAddress(address, length);
            }
            int i = find(address);
            if (i >= 0) {
                long offset = address - starts[i];
                if (length > sizes[i] - offset) {
                    throw new AddressException(Reason.RANGE_CROSSES_WINDOW, address, length,
                            space + " range starts in window [0x" + Long.toHexString(starts[i]) + ", 0x"
                                    + Long.toHexString(starts[i] + sizes[i]) + ") but runs past its end");
                }
                return targets[i] + offset;
            }
            if (length > Long.MAX_VALUE - address) {
                throw new AddressException(Reason.ADDRESS_OVERFLOW, address, length,
                        space + " range runs past 0x7fffffffffffffff");
            }
            int next = -i - 1;
            if (next < starts.length && length > starts[next] - address) {
                throw new AddressException(Reason.RANGE_CROSSES_WINDOW, address, length,
                        space + " range starts in no window but runs into window [0x"
                                + Long.toHexString(starts[next]) + ", 0x"
                                + Long.toHexString(starts[next] + sizes[next]) + ")");
            }
            return address;
        }

        private AddressException negativeAddress(long address, long length) {
            return new AddressException(Reason.ADDRESS_OVERFLOW, address, length,
                    space + " 0x" + Long.toHexString(address) + " is above 0x7fffffffffffffff");
        }
    }
}
