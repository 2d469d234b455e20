package io.rptun.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rptun.core.memory.WireLayouts;
import io.rptun.core.rsc.FwRscVdevLayout;
import io.rptun.core.rsc.FwRscVdevVringLayout;
import io.rptun.core.virtio.VringAvailLayout;
import io.rptun.core.virtio.VringLayout;
import io.rptun.examples.cli.DumpCommandTest.Json;
import io.rptun.examples.cli.DumpCommandTest.Run;
import io.rptun.sim.SimFile;
import io.rptun.sim.SimHeader;
import io.rptun.sim.SimOptions;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code rptun dump} on files it cannot read (one line on stderr, exit 2, never a stack trace) and on a
 * recognised file with corrupted rings (exit 0, the corruption reported as anomalies).
 */
@Timeout(120)
class DumpBadInputTest {
    private final List<Path> created = new ArrayList<>();
    private final Random random = new Random(42);

    private Path newPath() {
        Path p = SimFile.shmPath("rptun-dump-test-" + UUID.randomUUID());
        created.add(p);
        return p;
    }

    @AfterEach
    void deleteFiles() throws Exception {
        for (Path p : created.reversed()) {
            Files.deleteIfExists(p);
        }
    }

    /** Exit 2, exactly one line on stderr naming the reason, nothing on stdout, no stack trace. */
    private static void assertRejected(Run r, DumpException.Reason reason) {
        assertThat(r.code()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(r.out()).isEmpty();
        assertThat(r.err().lines().filter(l -> !l.isBlank()).toList()).singleElement().satisfies(line -> {
            assertThat(line).startsWith("rptun dump: ").endsWith("[" + reason + "]");
            assertThat(line).doesNotContain("Exception").doesNotContain("at io.");
        });
    }

    /** The same file through the API: the typed reason. */
    private static void assertReason(Path p, DumpException.Reason reason) {
        assertThatThrownBy(() -> FileInspector.inspect(p, 16)).isInstanceOfSatisfying(DumpException.class,
                e -> assertThat(e.reason()).isEqualTo(reason));
    }

    private void write(Path p, byte[] bytes) throws Exception {
        Files.write(p, bytes);
    }

    private byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    @Test
    void aMissingFileIsFileMissing() {
        Path p = newPath();
        assertRejected(DumpCommandTest.run("dump", p.toString()), DumpException.Reason.FILE_MISSING);
        assertReason(p, DumpException.Reason.FILE_MISSING);
    }

    @Test
    void aDirectoryIsNotAFile() throws Exception {
        Path p = newPath();
        Files.createDirectory(p);
        assertRejected(DumpCommandTest.run("dump", p.toString()), DumpException.Reason.NOT_A_FILE);
        assertReason(p, DumpException.Reason.NOT_A_FILE);
    }

    @Test
    void anEmptyFileIsEmpty() throws Exception {
        Path p = newPath();
        write(p, new byte[0]);
        assertRejected(DumpCommandTest.run("dump", p.toString()), DumpException.Reason.EMPTY);
        assertReason(p, DumpException.Reason.EMPTY);
    }

    @Test
    void eightKibOfRandomBytesIsForeign() throws Exception {
        Path p = newPath();
        byte[] bytes = randomBytes(8192);
        bytes[0] = 0x7F; // neither 'R' (the magic) nor 1 (a table's ver)
        write(p, bytes);
        assertRejected(DumpCommandTest.run("dump", p.toString()), DumpException.Reason.FOREIGN);
        assertRejected(DumpCommandTest.run("dump", "--json", p.toString()), DumpException.Reason.FOREIGN);
        assertReason(p, DumpException.Reason.FOREIGN);
    }

    @Test
    void aSimulatorFileCutToOneHundredBytesIsTruncated() throws Exception {
        Path p = newPath();
        SimFile.create(p, SimOptions.DEFAULT_REGION_SIZE, false).close();
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
            ch.truncate(100);
        }
        assertRejected(DumpCommandTest.run("dump", p.toString()), DumpException.Reason.TRUNCATED);
        assertReason(p, DumpException.Reason.TRUNCATED);
    }

    @Test
    void aSimulatorFileMissingPartOfItsRegionIsTruncated() throws Exception {
        Path p = newPath();
        SimFile.create(p, SimOptions.DEFAULT_REGION_SIZE, false).close();
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
            ch.truncate(SimHeader.HEADER_SIZE + 0x1000);
        }
        assertRejected(DumpCommandTest.run("dump", p.toString()), DumpException.Reason.TRUNCATED);
    }

    @Test
    void aSimulatorHeaderOfAnotherVersionIsABadHeader() throws Exception {
        Path p = newPath();
        SimFile.create(p, SimOptions.DEFAULT_REGION_SIZE, false).close();
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {99, 0, 0, 0}), SimHeader.VERSION_OFFSET);
        }
        assertRejected(DumpCommandTest.run("dump", p.toString()), DumpException.Reason.BAD_HEADER);
        assertReason(p, DumpException.Reason.BAD_HEADER);
    }

    @Test
    void aNegativeEntryCountIsBadUsage() {
        Run r = DumpCommandTest.run("dump", "--entries", "-1", newPath().toString());
        assertThat(r.code()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(r.err().lines().filter(l -> !l.isBlank()).count()).isEqualTo(1);
    }

    @Test
    void aSimulatorFileWhoseTableRegionIsGarbageIsABadTable() throws Exception {
        Path p = newPath();
        SimFile.create(p, SimOptions.DEFAULT_REGION_SIZE, false).close();
        byte[] garbage = randomBytes(4096);
        garbage[0] = 1; // ver 1, so the parser gets past the version into the garbage
        garbage[1] = 0;
        garbage[2] = 0;
        garbage[3] = 0;
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(garbage), SimHeader.HEADER_SIZE);
        }
        assertRejected(DumpCommandTest.run("dump", p.toString()), DumpException.Reason.BAD_TABLE);
        assertReason(p, DumpException.Reason.BAD_TABLE);
    }

    @Test
    void aRawFileWithATableVersionButGarbageAfterItIsABadTable() throws Exception {
        Path p = newPath();
        byte[] bytes = randomBytes(8192);
        bytes[0] = 1;
        bytes[1] = 0;
        bytes[2] = 0;
        bytes[3] = 0;
        write(p, bytes);
        assertRejected(DumpCommandTest.run("dump", p.toString()), DumpException.Reason.BAD_TABLE);
    }

    @Test
    void aSimulatorFileWithNoLayoutYetIsDumpedWithItsHeaderAndANote() throws Exception {
        Path p = newPath();
        SimFile.create(p, SimOptions.DEFAULT_REGION_SIZE, false).close();
        Run r = DumpCommandTest.run("dump", p.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("magic \"RPTUNSIM\"").contains("no resource table laid out yet")
                .containsPattern("(?m)^host +- +- +0 ");
        Map<String, Object> json = Json.parseObject(DumpCommandTest.run("dump", "--json", p.toString()).out());
        assertThat(Json.at(json, "table")).isNull();
    }

    @Test
    void corruptedRingsAreReportedAsAnomaliesAndTheDumpStillSucceeds() throws Exception {
        Path p = newPath();
        DumpCommandTest.withEchoLink(SimOptions.defaults("x").withPath(p).withDeleteOnClose(false), echo -> {
        });
        Map<String, Object> before = Json.parseObject(DumpCommandTest.run("dump", "--json", p.toString()).out());
        Object tx = Json.list(before, "vrings").get(1);
        long da = (long) Json.at(tx, "da");
        int num = (int) (long) Json.at(tx, "num");
        long newestHead = (long) Json.at(Json.list(tx, "avail").get(0), "head");
        long usedIdx = (long) Json.at(tx, "usedIdx");
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE);
                Arena arena = Arena.ofConfined()) {
            MemorySegment ring = ch.map(FileChannel.MapMode.READ_WRITE, SimHeader.HEADER_SIZE + da,
                    VringLayout.byteSize(num, 0x1000), arena);
            // The newest avail entry's descriptor now points far outside the 1 MiB region...
            ring.set(WireLayouts.LE_U64, VringLayout.DESC_SIZE * newestHead, 0x7_0000_0000L);
            // ...and avail.idx runs 1000 ahead of used.idx: more in flight than the ring has entries.
            ring.set(WireLayouts.LE_U16, VringLayout.availOffset(num) + VringAvailLayout.IDX_OFFSET,
                    (short) (usedIdx + 1000));
            // One avail slot names a descriptor past num.
            ring.set(WireLayouts.LE_U16, VringLayout.availOffset(num) + VringAvailLayout.RING_OFFSET
                    + VringAvailLayout.ELEMENT_SIZE * ((usedIdx + 999) & (num - 1)), (short) 0xFFFF);
        }
        Run r = DumpCommandTest.run("dump", p.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).isEmpty();
        assertThat(r.out()).contains("in flight 1000 (MORE THAN num " + num + ")").contains("OUTSIDE the region")
                .contains("-> no such descriptor").contains("== anomalies (")
                .contains("vdev0 vring1: avail.idx " + ((usedIdx + 1000) & 0xFFFF) + " - used.idx " + usedIdx
                        + " = 1000 in flight, more than num " + num)
                .contains("names descriptor 65535, but num is " + num)
                .contains("addr 0x700000000 len 512 lies OUTSIDE the region");
        Map<String, Object> json = Json.parseObject(DumpCommandTest.run("dump", "--json", p.toString()).out());
        assertThat(Json.list(json, "anomalies")).isNotEmpty();
        assertThat((long) Json.at(Json.list(json, "vrings").get(1), "inFlight")).isEqualTo(1000L);
    }

    @Test
    void aVringPlacedOutsideTheRegionIsAnAnomalyAndIsNotRead() throws Exception {
        Path p = newPath();
        DumpCommandTest.withEchoLink(SimOptions.defaults("x").withPath(p).withDeleteOnClose(false), echo -> {
        });
        Map<String, Object> before = Json.parseObject(DumpCommandTest.run("dump", "--json", p.toString()).out());
        Map<String, Object> vdevEntry = null;
        for (Object e : Json.list(before, "table", "entries")) {
            if ("vdev".equals(Json.at(e, "kind"))) {
                @SuppressWarnings("unchecked")
                Map<String, Object> m = (Map<String, Object>) e;
                vdevEntry = m;
            }
        }
        assertThat(vdevEntry).isNotNull();
        long vring1 = FwRscVdevLayout.vringOffset((long) Json.at(vdevEntry, "offset"), 1)
                + FwRscVdevVringLayout.DA_OFFSET;
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE);
                Arena arena = Arena.ofConfined()) {
            MemorySegment table = ch.map(FileChannel.MapMode.READ_WRITE, SimHeader.HEADER_SIZE, 0x1000, arena);
            table.set(WireLayouts.LE_U32, vring1, 0xFFF0_0000);
        }
        Run r = DumpCommandTest.run("dump", p.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("not read: OUTSIDE the region")
                .contains("vdev0 vring1: da 0xfff00000 + 0x1206 bytes lies OUTSIDE the region");
    }
}
