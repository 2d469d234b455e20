package io.rptun.examples.cli;

import io.rptun.core.rpmsg.RpmsgAddresses;
import io.rptun.core.rsc.FwRscVdevLayout;
import io.rptun.core.rsc.NuttxCommand;
import io.rptun.core.rsc.ParseMode;
import io.rptun.core.rsc.ParsedResourceTable;
import io.rptun.core.virtio.VringDescLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What {@code rptun dump} found in a file: plain values copied out of the read-only mapping, so the
 * mapping is closed before anything is printed, and the text and JSON renderings show the same facts.
 *
 * @param path the file
 * @param fileSize its size in bytes
 * @param kind what the file was recognised as
 * @param mode how the table was parsed, or null when there is no table yet
 * @param sim the simulator header, for a simulator file
 * @param regionOffset where the rptun region starts in the file
 * @param regionSize the region's size; every offset and address in the report is into the region
 * @param table the parsed table, or null when a simulator file has none laid out yet
 * @param map the memory map, sorted by offset (children after their holder)
 * @param rings every vring of every vdev
 * @param traffic the rpmsg headers found in the buffers descriptors point to
 * @param heaps the heap window of each vdev
 * @param anomalies what is wrong inside the file (bad indices, addresses outside the region, ...)
 * @param notes what a reader should know to read the rest
 */
record DumpReport(Path path, long fileSize, FileKind kind, @Nullable ParseMode mode, @Nullable SimInfo sim,
        long regionOffset, long regionSize, @Nullable ParsedResourceTable table, List<MapEntry> map,
        List<RingState> rings, Traffic traffic, List<HeapInfo> heaps, List<String> anomalies, List<String> notes) {

    /** What a file was recognised as. */
    enum FileKind {
        /** {@code "RPTUNSIM"} at offset 0: the sim header, then the region. */
        SIMULATOR("simulator file"),
        /** No sim header, 0x80000 bytes, an OpenAMP table at offset 0: OpenAMP's Linux demo shm. */
        OPENAMP_LINUX("OpenAMP Linux shm file"),
        /** NuttX's simulator file ({@code /dev/shm/server-proxy}): a 24-byte header, the table at 0x18. */
        NUTTX_SIM("NuttX simulator file"),
        /** No sim header: the whole file is a region with a table at offset 0. */
        RAW_REGION("raw rptun region");

        private final String label;

        FileKind(String label) {
            this.label = label;
        }

        String label() {
            return label;
        }
    }

    /** The simulator header, as read. */
    record SimInfo(long magic, int version, int headerSize, long regionOffset, long regionSize, long hostEpoch,
            long claimedEpoch, int flags, long creatorPid, boolean creatorAlive, List<SideInfo> sides) {
    }

    /**
     * One side's block of the sim header.
     *
     * @param alive whether a process with this pid runs now (it may be another process, if the pid was reused)
     */
    record SideInfo(String name, long pid, boolean alive, long epoch, long heartbeat, int stateCode, String state,
            int doorbellSeq, int sleeping) {
    }

    /**
     * A range of the region: {@code depth} 1 and 2 lie inside the closest entry of smaller depth above.
     *
     * @param kind table, carveout, vring, heap, buffers, trace or devmem
     */
    record MapEntry(long offset, long size, String kind, String what, int depth) {
        long end() {
            return offset + size;
        }
    }

    /**
     * One vring as the table places it and as its memory reads now.
     *
     * @param placement "ok", or why the ring was not read ("not placed yet", "OUTSIDE the region")
     * @param read whether the indices and entries below were read from the file
     * @param inFlight {@code (avail.idx - used.idx) mod 2^16}: buffers the device holds
     * @param avail the last entries of the avail ring, newest first
     * @param used the last entries of the used ring, newest first
     */
    record RingState(int vdev, int index, String direction, long da, long align, int num, int notifyId, long size,
            String placement, boolean read, int availFlags, int availIdx, int usedFlags, int usedIdx, int inFlight,
            List<RingEntry> avail, List<RingEntry> used) {
    }

    /**
     * One avail or used ring entry.
     *
     * @param idx the ring counter value the entry was written at
     * @param head the descriptor index it names (avail: u16 head, used: u32 id)
     * @param usedLen the used element's len, or -1 for an avail entry
     * @param desc the descriptor, or null when {@code head} is not below num
     */
    record RingEntry(int idx, int slot, long head, long usedLen, @Nullable Desc desc) {
    }

    /** A descriptor; {@code inside} is false when {@code addr..addr+len} leaves the region. */
    record Desc(int index, long addr, long len, int flags, int next, boolean inside) {
    }

    /**
     * What the buffers held.
     *
     * @param buffers buffers scanned (descriptors with an address and a length, inside the region)
     * @param empty buffers whose header is all zero (never written)
     * @param unreadable buffers too short for a header, or whose header's len does not fit the buffer
     */
    record Traffic(List<Flow> flows, List<NsSeen> names, int buffers, int empty, int unreadable) {
    }

    /** Messages from {@code src} to {@code dst} found on one vring. */
    record Flow(int vdev, int vring, String direction, long src, long dst, int messages, long bytes) {
    }

    /** A name-service message found in a buffer addressed to 0x35. */
    record NsSeen(int vdev, int vring, String direction, String name, long addr, long flags, int count) {
    }

    /**
     * A vdev's heap window and what its descriptors point to.
     *
     * @param source where the window comes from (a carveout entry, OpenAMP's pool, the region's rest)
     * @param vringBytes bytes of the window the vdev's vrings take (each rounded up to its align)
     * @param heapStart where the allocatable part starts, after those vrings
     * @param lowest the lowest buffer address, or -1 without buffers
     * @param highestEnd the end of the highest buffer, or -1 without buffers
     * @param outsideWindow buffers that do not lie wholly inside the window
     */
    record HeapInfo(int vdev, String source, long start, long size, long vringBytes, long heapStart, long heapSize,
            int buffers, long bufferBytes, long lowest, long highestEnd, int outsideWindow) {
    }

    // ---------------------------------------------------------------- names of bits and codes

    /** The names of the virtio status bits set in {@code status}; unknown bits as hex. */
    static List<String> statusBits(int status) {
        return bits(status, new int[] {FwRscVdevLayout.STATUS_ACKNOWLEDGE, FwRscVdevLayout.STATUS_DRIVER,
            FwRscVdevLayout.STATUS_DRIVER_OK, FwRscVdevLayout.STATUS_FEATURES_OK, FwRscVdevLayout.STATUS_NEEDS_RESET,
            FwRscVdevLayout.STATUS_FAILED},
                new String[] {"ACKNOWLEDGE", "DRIVER", "DRIVER_OK", "FEATURES_OK", "NEEDS_RESET", "FAILED"});
    }

    /** The names of rpmsg feature bits (for a vdev of id 7; any other vdev's bits stay hex). */
    static List<String> featureBits(int vdevId, int features) {
        if (vdevId != FwRscVdevLayout.VIRTIO_ID_RPMSG) {
            return bits(features, new int[0], new String[0]);
        }
        return bits(features, new int[] {RpmsgAddresses.F_NS, RpmsgAddresses.F_ACK, RpmsgAddresses.F_BUFSZ,
            RpmsgAddresses.F_CPUNAME}, new String[] {"NS", "ACK", "BUFSZ", "CPUNAME"});
    }

    /** A descriptor's flags: NEXT, WRITE, INDIRECT and unknown bits as hex. */
    static List<String> descFlags(int flags) {
        return bits(flags, new int[] {VringDescLayout.F_NEXT, VringDescLayout.F_WRITE, VringDescLayout.F_INDIRECT},
                new String[] {"NEXT", "WRITE", "INDIRECT"});
    }

    /** NuttX's mailbox command name. */
    static String commandName(NuttxCommand command) {
        return switch (command.cmd()) {
            case NuttxCommand.DONE -> "DONE";
            case NuttxCommand.READY -> "READY";
            case NuttxCommand.PANIC -> "PANIC";
            case NuttxCommand.RESET -> "RESET";
            case NuttxCommand.STOP -> "STOP";
            case NuttxCommand.ACK -> "ACK";
            default -> "0x" + Integer.toHexString(command.cmd());
        };
    }

    /** A name-service message's flags word. */
    static String nsFlagName(long flags) {
        return switch ((int) flags) {
            case 0 -> "CREATE";
            case 1 -> "DESTROY";
            case 2 -> "CREATE_ACK";
            default -> "0x" + Long.toHexString(flags);
        };
    }

    /** A vdev type name for the table listing. */
    static String vdevIdName(int id) {
        return switch (id) {
            case FwRscVdevLayout.VIRTIO_ID_RPMSG -> "rpmsg";
            case 3 -> "console";
            case 1 -> "net";
            case 2 -> "block";
            default -> "virtio id " + Integer.toUnsignedString(id);
        };
    }

    private static List<String> bits(int value, int[] masks, String[] names) {
        List<String> out = new ArrayList<>();
        int rest = value;
        for (int i = 0; i < masks.length; i++) {
            if ((value & masks[i]) != 0) {
                out.add(names[i]);
                rest &= ~masks[i];
            }
        }
        for (int bit = 0; bit < 32; bit++) {
            if ((rest & (1 << bit)) != 0) {
                out.add("0x" + Integer.toHexString(1 << bit));
            }
        }
        return out;
    }

    /** {@code s} with every character outside printable ASCII shown as {@code \xNN}: names read from the file. */
    static String printable(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 0x20 && c < 0x7F) {
                sb.append(c);
            } else {
                sb.append(String.format("\\x%02x", (int) c & 0xFF));
            }
        }
        return sb.toString();
    }
}
