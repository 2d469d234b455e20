package io.rptun.examples.cli;

import io.rptun.core.memory.WireLayouts;
import io.rptun.core.openamp.OpenAmpLinuxProfile;
import io.rptun.core.rsc.ParseMode;
import io.rptun.core.rsc.ParsedResourceTable;
import io.rptun.core.rsc.ResourceTableLayout;
import io.rptun.core.rsc.ResourceTableParser;
import io.rptun.examples.cli.DumpException.Reason;
import io.rptun.examples.cli.DumpReport.FileKind;
import io.rptun.examples.cli.DumpReport.SideInfo;
import io.rptun.examples.cli.DumpReport.SimInfo;
import io.rptun.sim.NuttxSimLayout;
import io.rptun.sim.SimHeader;
import io.rptun.sim.SimHeader.Side;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Reads a shared-memory file for {@code rptun dump}, read-only: the file is opened for reading and
 * mapped {@code READ_ONLY}, so a dump can never write to a live link (a stray store would fault instead).
 * {@code SimFile} is not used for that reason: it maps read-write.
 *
 * <p>It recognises three kinds of file: a simulator file ({@code "RPTUNSIM"} at offset 0, the region at
 * the header's region offset), OpenAMP's Linux demo shm (no magic, 0x80000 bytes, an OpenAMP table at
 * offset 0), or any other raw region with a table at offset 0 (NuttX mode first, then OpenAMP). What makes
 * the file unreadable as a whole is a {@link DumpException}; everything wrong inside a recognised file is
 * an anomaly in the report ({@link DumpRegion}).
 */
final class FileInspector {
    private FileInspector() {
    }

    /**
     * Inspects {@code path}.
     *
     * @param maxEntries at most this many avail and used entries per ring are listed
     * @throws DumpException when the file is missing, not a regular file, empty, truncated, foreign, or
     *     its table is garbage
     */
    static DumpReport inspect(Path path, int maxEntries) {
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(path, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            throw new DumpException(Reason.FILE_MISSING, path + ": no such file", e);
        } catch (IOException e) {
            throw new DumpException(Reason.IO, path + ": cannot read its attributes: " + e.getMessage(), e);
        }
        if (attributes.isDirectory()) {
            throw new DumpException(Reason.NOT_A_FILE, path + ": is a directory, not a shared-memory file");
        }
        if (!attributes.isRegularFile()) {
            throw new DumpException(Reason.NOT_A_FILE, path + ": is not a regular file");
        }
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ);
                Arena arena = Arena.ofConfined()) {
            long size = channel.size();
            if (size == 0) {
                throw new DumpException(Reason.EMPTY, path + ": the file is empty (0 bytes)");
            }
            MemorySegment file = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            return identify(path, file, maxEntries);
        } catch (NoSuchFileException e) {
            throw new DumpException(Reason.FILE_MISSING, path + ": no such file", e);
        } catch (AccessDeniedException e) {
            throw new DumpException(Reason.IO, path + ": permission denied", e);
        } catch (IOException e) {
            throw new DumpException(Reason.IO, path + ": cannot open or map: " + e.getMessage(), e);
        }
    }

    private static DumpReport identify(Path path, MemorySegment file, int maxEntries) {
        long size = file.byteSize();
        if (startsWithMagic(file)) {
            return simulator(path, file, maxEntries);
        }
        if (NuttxSimLayout.hasNuttxTable(file)) {
            return nuttx(path, file, maxEntries);
        }
        List<ParseMode> modes = size == OpenAmpLinuxProfile.SHM_SIZE
                ? List.of(ParseMode.OPENAMP, ParseMode.NUTTX) : List.of(ParseMode.NUTTX, ParseMode.OPENAMP);
        Parsed parsed = parseFirst(path, file, modes, true);
        FileKind kind = size == OpenAmpLinuxProfile.SHM_SIZE && parsed.mode() == ParseMode.OPENAMP
                ? FileKind.OPENAMP_LINUX : FileKind.RAW_REGION;
        List<String> notes = new ArrayList<>();
        notes.add("no simulator header: the region is the whole file and the table is at offset 0");
        return DumpRegion.analyse(path, size, kind, null, 0, file, parsed.table(), parsed.mode(), maxEntries,
                new ArrayList<>(), notes);
    }

    /** NuttX's simulator file: its header as notes, then the region with the table at 0x18. */
    private static DumpReport nuttx(Path path, MemorySegment file, int maxEntries) {
        long base = NuttxSimLayout.base(file);
        int boots = file.get(WireLayouts.LE_U32, NuttxSimLayout.BOOTS_OFFSET);
        int bootm = file.get(WireLayouts.LE_U32, NuttxSimLayout.BOOTM_OFFSET);
        List<String> notes = new ArrayList<>();
        notes.add(String.format(Locale.ROOT, "NuttX simulator header: base 0x%x, seqs %d (slave's notifications), seqm"
                + " %d (master's), boots %s, bootm %s", base,
                WireLayouts.u32(file.get(WireLayouts.LE_U32, NuttxSimLayout.SEQS_OFFSET)),
                WireLayouts.u32(file.get(WireLayouts.LE_U32, NuttxSimLayout.SEQM_OFFSET)), bootBits(boots),
                bootBits(bootm)));
        notes.add("the table is at file offset 0x18; a da is a file offset; descriptor addresses are pa's (base +"
                + " offset) and are shown as file offsets");
        Parsed parsed = parseFirst(path, NuttxSimLayout.table(file), List.of(ParseMode.NUTTX), false);
        return DumpRegion.analyse(path, file.byteSize(), FileKind.NUTTX_SIM, null, 0, file, parsed.table(),
                parsed.mode(), maxEntries, new ArrayList<>(), notes, base);
    }

    private static String bootBits(int bits) {
        List<String> names = new ArrayList<>();
        if ((bits & NuttxSimLayout.STATUS_BOOT) != 0) {
            names.add("BOOT");
        }
        if ((bits & NuttxSimLayout.STATUS_OK) != 0) {
            names.add("OK");
        }
        if ((bits & NuttxSimLayout.STATUS_NEED_RESET) != 0) {
            names.add("NEED_RESET");
        }
        return String.format(Locale.ROOT, "0x%x%s", bits, names.isEmpty() ? "" : " " + String.join("|", names));
    }

    /** True when the file starts with {@code "RPTUNSIM"}, or is a (too short) prefix of it. */
    private static boolean startsWithMagic(MemorySegment file) {
        byte[] magic = "RPTUNSIM".getBytes(StandardCharsets.US_ASCII);
        int n = (int) Math.min(file.byteSize(), magic.length);
        for (int i = 0; i < n; i++) {
            if (file.get(ValueLayout.JAVA_BYTE, i) != magic[i]) {
                return false;
            }
        }
        return true;
    }

    private static DumpReport simulator(Path path, MemorySegment file, int maxEntries) {
        long size = file.byteSize();
        if (size < SimHeader.HEADER_SIZE) {
            throw new DumpException(Reason.TRUNCATED, path + ": a simulator file of " + size
                    + " bytes: its header alone needs " + SimHeader.HEADER_SIZE);
        }
        SimHeader header = SimHeader.over(file, path.toString());
        if (header.version() != SimHeader.VERSION) {
            throw new DumpException(Reason.BAD_HEADER, path + ": simulator header version "
                    + WireLayouts.u32(header.version()) + ", this dump reads version " + SimHeader.VERSION);
        }
        if (header.headerSize() != SimHeader.HEADER_SIZE || header.regionOffset() != SimHeader.HEADER_SIZE) {
            throw new DumpException(Reason.BAD_HEADER, path + ": simulator header size "
                    + WireLayouts.u32(header.headerSize()) + " and region offset "
                    + Long.toUnsignedString(header.regionOffset()) + ", expected " + SimHeader.HEADER_SIZE + " for both");
        }
        long regionSize = header.regionSize();
        if (regionSize <= 0) {
            throw new DumpException(Reason.BAD_HEADER, path + ": simulator header region size "
                    + Long.toUnsignedString(regionSize));
        }
        long available = size - SimHeader.HEADER_SIZE;
        if (available < regionSize) {
            throw new DumpException(Reason.TRUNCATED, path + ": the file is " + size + " bytes, its header says "
                    + SimHeader.HEADER_SIZE + " + a region of " + regionSize);
        }
        List<String> anomalies = new ArrayList<>();
        if (available > regionSize) {
            anomalies.add("the file has " + (available - regionSize) + " bytes after the region the header declares");
        }
        SimInfo sim = simInfo(header);
        MemorySegment region = file.asSlice(SimHeader.HEADER_SIZE, regionSize);
        List<String> notes = new ArrayList<>();
        notes.add("every offset and address below is into the region, which starts at file offset 0x"
                + Long.toHexString(SimHeader.HEADER_SIZE) + " (identity address environment: da = region offset)");
        if (isBlank(region)) {
            notes.add("no resource table laid out yet: the region starts with zeros (the host has not started,"
                    + " or is laying out right now)");
            return new DumpReport(path, size, FileKind.SIMULATOR, null, sim, SimHeader.HEADER_SIZE, regionSize, null,
                    List.of(), List.of(), new DumpReport.Traffic(List.of(), List.of(), 0, 0, 0), List.of(), anomalies,
                    notes);
        }
        Parsed parsed = parseFirst(path, region, List.of(ParseMode.NUTTX, ParseMode.OPENAMP), false);
        return DumpRegion.analyse(path, size, FileKind.SIMULATOR, sim, SimHeader.HEADER_SIZE, region, parsed.table(),
                parsed.mode(), maxEntries, anomalies, notes);
    }

    private static SimInfo simInfo(SimHeader header) {
        List<SideInfo> sides = new ArrayList<>();
        for (Side side : Side.values()) {
            long pid = header.pid(side);
            int code = header.stateCode(side);
            sides.add(new SideInfo(side.name().toLowerCase(Locale.ROOT), pid, isAlive(pid),
                    header.epoch(side), header.heartbeat(side), code, SimHeader.State.of(code).name(),
                    header.seq(side), header.isSleeping(side) ? 1 : 0));
        }
        return new SimInfo(header.magic(), header.version(), header.headerSize(), header.regionOffset(),
                header.regionSize(), header.hostEpoch(), header.claimedEpoch(), header.flags(), header.creatorPid(),
                header.creatorPid() > 0 && ProcessHandle.of(header.creatorPid()).map(ProcessHandle::isAlive)
                        .orElse(false), sides);
    }

    /** Whether a process with {@code pid} runs now; a pid from the file may be anything. */
    static boolean isAlive(long pid) {
        if (pid <= 0) {
            return false;
        }
        try {
            return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** The first 16 bytes (a table header) are zero: nothing was laid out. */
    private static boolean isBlank(MemorySegment region) {
        long n = Math.min(region.byteSize(), ResourceTableLayout.HEADER_SIZE);
        for (long i = 0; i < n; i++) {
            if (region.get(ValueLayout.JAVA_BYTE, i) != 0) {
                return false;
            }
        }
        return true;
    }

    private record Parsed(ParsedResourceTable table, ParseMode mode) {
    }

    /** Parses the table at offset 0 of {@code region} in the first mode that accepts it. */
    private static Parsed parseFirst(Path path, MemorySegment region, List<ParseMode> modes, boolean raw) {
        RuntimeException first = null;
        for (ParseMode mode : modes) {
            try {
                return new Parsed(ResourceTableParser.parse(region, mode), mode);
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        String why = first == null ? "no parse mode" : first.getMessage();
        if (raw && !looksLikeTable(region)) {
            throw new DumpException(Reason.FOREIGN, path + ": not an rptun file: no \"RPTUNSIM\" magic at offset 0"
                    + " and no resource table there (" + versionWord(region) + ")", first);
        }
        throw new DumpException(Reason.BAD_TABLE, path + ": the resource table at " + (raw ? "offset 0" :
                "region offset 0") + " is garbage (parsed as " + modes.get(0) + "): " + why, first);
    }

    private static boolean looksLikeTable(MemorySegment region) {
        return region.byteSize() >= 4 && region.get(WireLayouts.LE_U32, 0) == ResourceTableLayout.VERSION;
    }

    private static String versionWord(MemorySegment region) {
        if (region.byteSize() < 4) {
            return "the file is " + region.byteSize() + " bytes";
        }
        return "ver=0x" + Integer.toHexString(region.get(WireLayouts.LE_U32, 0)) + ", expected 1";
    }

    /** For tests and messages: the magic as text when it is printable. */
    static @Nullable String magicText(long magic) {
        byte[] b = new byte[8];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (magic >>> (8 * i));
            if (b[i] < 0x20 || b[i] > 0x7E) {
                return null;
            }
        }
        return new String(b, StandardCharsets.US_ASCII);
    }
}
