package io.rptun.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rptun.core.memory.WireLayouts;
import io.rptun.core.openamp.OpenAmpLinuxProfile;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SimFileTest {
    private static final long REGION = 64 * 1024;
    private static final Duration WAIT = Duration.ofSeconds(5);

    @TempDir
    Path dir;

    private Path file() {
        return dir.resolve("sim.shm");
    }

    private static void writeFile(Path path, byte[] content) throws IOException {
        Files.write(path, content);
    }

    private static void patchInt(Path path, long offset, int value) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(value).flip();
            ch.write(b, offset);
        }
    }

    @Test
    void aCreatedFileIsReadableAndWritableByItsOwnerOnly() throws IOException {
        try (SimFile sim = SimFile.create(file(), REGION, true)) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(sim.path())))
                    .isEqualTo("rw-------");
        }
    }

    @Test
    void aCreatedFileIsExactlyTheHeaderPlusTheRegion() throws IOException {
        try (SimFile sim = SimFile.create(file(), REGION + 1, true)) {
            assertThat(Files.size(file())).isEqualTo(SimHeader.HEADER_SIZE + REGION + 1);
            assertThat(sim.size()).isEqualTo(SimHeader.HEADER_SIZE + REGION + 1);
            assertThat(sim.region().byteSize()).isEqualTo(REGION + 1);
            assertThat(sim.region().address() - sim.segment().address()).isEqualTo(SimHeader.HEADER_SIZE);
            assertThat(sim.isRaw()).isFalse();
            assertThat(sim.header().isReady()).isTrue();
            assertThat(sim.header().regionSize()).isEqualTo(REGION + 1);
        }
    }

    @Test
    void twoMappingsOfOneFileSeeEachOthersBytes() {
        try (SimFile created = SimFile.create(file(), REGION, true);
                SimFile opened = SimFile.open(file(), WAIT)) {
            created.region().set(WireLayouts.LE_U64, 0, 0x1122_3344_5566_7788L);
            opened.region().set(WireLayouts.LE_U32, REGION - 4, 0xCAFEBABE);

            assertThat(opened.region().get(WireLayouts.LE_U64, 0)).isEqualTo(0x1122_3344_5566_7788L);
            assertThat(created.region().get(WireLayouts.LE_U32, REGION - 4)).isEqualTo(0xCAFEBABE);
            assertThat(opened.segment().address()).isNotEqualTo(created.segment().address());
            assertThat(opened.header().regionSize()).isEqualTo(REGION);
        }
    }

    @Test
    void openingAMissingFileFailsWithFileMissing() {
        assertThatThrownBy(() -> SimFile.open(file(), WAIT))
                .isInstanceOfSatisfying(SimException.class,
                        e -> assertThat(e.reason()).isEqualTo(SimException.Reason.FILE_MISSING));
        assertThatThrownBy(() -> SimFile.openRaw(file(), 4096))
                .isInstanceOfSatisfying(SimException.class,
                        e -> assertThat(e.reason()).isEqualTo(SimException.Reason.FILE_MISSING));
    }

    @Test
    void creatingOverAnExistingFileFailsWithFileExistsAndLeavesItAlone() throws IOException {
        writeFile(file(), new byte[] {1, 2, 3});

        assertThatThrownBy(() -> SimFile.create(file(), REGION, true))
                .isInstanceOfSatisfying(SimException.class,
                        e -> assertThat(e.reason()).isEqualTo(SimException.Reason.FILE_EXISTS));
        assertThat(Files.readAllBytes(file())).containsExactly(1, 2, 3);
    }

    @Test
    void createOrReplaceStaleReplacesAFileWhoseProcessesAreGone() throws Exception {
        try (SimFile old = SimFile.create(file(), REGION, false)) {
            old.header().initialise(REGION, PathKinds.deadPid());
            old.header().publishReady();
            old.region().set(WireLayouts.LE_U8, 0, (byte) 0x5A);
        }

        try (SimFile sim = SimFile.createOrReplaceStale(file(), REGION, true, Duration.ofMillis(100))) {
            assertThat(sim.header().isReady()).isTrue();
            assertThat(sim.header().creatorPid()).isEqualTo(ProcessHandle.current().pid());
            assertThat(sim.region().get(WireLayouts.LE_U8, 0)).isZero();
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file()))).isEqualTo("rw-------");
        }
        assertThat(file()).doesNotExist();
    }

    @Test
    void createOrReplaceStaleRefusesAForeignFileAndLeavesItAsItWas() throws IOException {
        byte[] foreign = new byte[10_000];
        Arrays.fill(foreign, (byte) 0x5A);
        writeFile(file(), foreign);

        assertThatThrownBy(() -> SimFile.createOrReplaceStale(file(), REGION, true, Duration.ofMillis(100)))
                .isInstanceOfSatisfying(SimException.class,
                        e -> assertThat(e.reason()).isEqualTo(SimException.Reason.FOREIGN_FILE));
        assertThat(Files.readAllBytes(file())).isEqualTo(foreign);
    }

    @Test
    void aFileShorterThanTheHeaderFailsWithWrongSizeAtOnce() throws IOException {
        writeFile(file(), new byte[100]);

        assertThatThrownBy(() -> SimFile.open(file(), Duration.ofMinutes(5)))
                .isInstanceOfSatisfying(SimException.class,
                        e -> assertThat(e.reason()).isEqualTo(SimException.Reason.WRONG_SIZE));
    }

    @Test
    void aFileWhoseSizeDisagreesWithItsHeaderFailsWithWrongSize() throws IOException {
        try (SimFile sim = SimFile.create(file(), REGION, false)) {
            assertThat(sim.header().isReady()).isTrue();
        }
        try (FileChannel ch = FileChannel.open(file(), StandardOpenOption.WRITE)) {
            ch.truncate(SimHeader.HEADER_SIZE + REGION / 2);
        }

        assertThatThrownBy(() -> SimFile.open(file(), WAIT))
                .isInstanceOfSatisfying(SimException.class,
                        e -> assertThat(e.reason()).isEqualTo(SimException.Reason.WRONG_SIZE));
    }

    @Test
    void aForeignFileFailsWithBadMagicAtOnce() throws IOException {
        byte[] foreign = new byte[8192];
        Arrays.fill(foreign, (byte) 0x5A);
        writeFile(file(), foreign);

        assertThatThrownBy(() -> SimFile.open(file(), Duration.ofMinutes(5)))
                .isInstanceOfSatisfying(SimException.class,
                        e -> assertThat(e.reason()).isEqualTo(SimException.Reason.BAD_MAGIC));
    }

    @Test
    void anotherVersionFailsWithBadVersion() throws IOException {
        try (SimFile sim = SimFile.create(file(), REGION, false)) {
            assertThat(sim.header().version()).isEqualTo(SimHeader.VERSION);
        }
        patchInt(file(), SimHeader.VERSION_OFFSET, 2);

        assertThatThrownBy(() -> SimFile.open(file(), WAIT))
                .isInstanceOfSatisfying(SimException.class,
                        e -> assertThat(e.reason()).isEqualTo(SimException.Reason.BAD_VERSION));
    }

    @Test
    void aHeaderThatIsNeverPublishedFailsWithNotReady() throws IOException {
        writeFile(file(), new byte[8192]);

        assertThatThrownBy(() -> SimFile.open(file(), Duration.ofMillis(200)))
                .isInstanceOfSatisfying(SimException.class,
                        e -> assertThat(e.reason()).isEqualTo(SimException.Reason.NOT_READY));
    }

    @Test
    void anEmptyFileIsTakenForOneStillBeingCreated() throws IOException {
        Files.createFile(file());

        assertThatThrownBy(() -> SimFile.open(file(), Duration.ofMillis(200)))
                .isInstanceOfSatisfying(SimException.class,
                        e -> assertThat(e.reason()).isEqualTo(SimException.Reason.NOT_READY));
    }

    @Test
    void deleteOnCloseDeletesTheFile() {
        SimFile sim = SimFile.create(file(), REGION, true);
        assertThat(file()).exists();

        sim.close();

        assertThat(file()).doesNotExist();
    }

    @Test
    void withoutDeleteOnCloseTheFileStaysAndCanBeOpenedAgain() {
        SimFile.create(file(), REGION, false).close();

        assertThat(file()).exists();
        try (SimFile again = SimFile.open(file(), WAIT)) {
            assertThat(again.header().regionSize()).isEqualTo(REGION);
        }
    }

    @Test
    void afterCloseTheOldSegmentsAreUnmappedAndTheAccessorsThrowClosed() {
        SimFile sim = SimFile.create(file(), REGION, true);
        MemorySegment region = sim.region();
        MemorySegment whole = sim.segment();

        sim.close();

        assertThatThrownBy(() -> region.get(WireLayouts.LE_U8, 0)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> whole.get(WireLayouts.LE_U64, 0)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(sim::region).isInstanceOfSatisfying(SimException.class,
                e -> assertThat(e.reason()).isEqualTo(SimException.Reason.CLOSED));
        assertThatThrownBy(sim::header).isInstanceOfSatisfying(SimException.class,
                e -> assertThat(e.reason()).isEqualTo(SimException.Reason.CLOSED));
        assertThat(sim.isOpen()).isFalse();
    }

    @Test
    void closingTwiceIsHarmless() {
        SimFile sim = SimFile.create(file(), REGION, true);
        sim.close();

        assertThatCode(sim::close).doesNotThrowAnyException();
        assertThat(file()).doesNotExist();
    }

    @Test
    void aRawFileForOpenAmpsLinuxMachineHasNoHeaderAndItsRegionIsTheWholeFile() throws IOException {
        Path shm = dir.resolve(OpenAmpLinuxProfile.SHM_NAME);
        try (SimFile remote = SimFile.createRaw(shm, OpenAmpLinuxProfile.SHM_SIZE, true);
                SimFile host = SimFile.openRaw(shm, OpenAmpLinuxProfile.SHM_SIZE)) {
            assertThat(Files.size(shm)).isEqualTo(0x80000);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(shm))).isEqualTo("rw-------");
            assertThat(host.isRaw()).isTrue();
            assertThat(host.region().byteSize()).isEqualTo(0x80000);
            assertThat(host.region().address()).isEqualTo(host.segment().address());
            assertThatThrownBy(host::header).isInstanceOf(IllegalStateException.class);

            remote.region().set(WireLayouts.LE_U32, 0, 1); // resource table version 1 at file offset 0
            assertThat(host.region().get(WireLayouts.LE_U32, 0)).isEqualTo(1);
        }
        assertThat(shm).doesNotExist();
    }

    @Test
    void aRawFileOfAnotherSizeFailsWithWrongSize() {
        try (SimFile raw = SimFile.createRaw(file(), 0x40000, true)) {
            assertThat(raw.size()).isEqualTo(0x40000);
            assertThatThrownBy(() -> SimFile.openRaw(file(), OpenAmpLinuxProfile.SHM_SIZE))
                    .isInstanceOfSatisfying(SimException.class,
                            e -> assertThat(e.reason()).isEqualTo(SimException.Reason.WRONG_SIZE));
        }
    }

    @Test
    void createRawOverAnExistingFileFailsWithFileExistsAndLeavesIt() throws IOException {
        writeFile(file(), new byte[] {9});

        assertThatThrownBy(() -> SimFile.createRaw(file(), 4096, true))
                .isInstanceOfSatisfying(SimException.class,
                        e -> assertThat(e.reason()).isEqualTo(SimException.Reason.FILE_EXISTS));
        assertThat(Files.readAllBytes(file())).containsExactly(9);
    }

    @Test
    void creatingInAMissingDirectoryFailsWithFileMissing() {
        assertThatThrownBy(() -> SimFile.create(dir.resolve("no/such/dir/sim"), REGION, true))
                .isInstanceOfSatisfying(SimException.class,
                        e -> assertThat(e.reason()).isEqualTo(SimException.Reason.FILE_MISSING));
    }

    @Test
    void nonPositiveSizesAreRejected() {
        assertThatThrownBy(() -> SimFile.create(file(), 0, true)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SimFile.createRaw(file(), -1, true)).isInstanceOf(IllegalArgumentException.class);
        assertThat(file()).doesNotExist();
    }

    @Test
    void aFileUnderDevShmIsCreatedAndCleanedUp() {
        Path shm = SimFile.shmPath("rptun-sim-test-" + UUID.randomUUID());
        try {
            try (SimFile sim = SimFile.create(shm, REGION, true);
                    SimFile other = SimFile.open(shm, WAIT)) {
                assertThat(shm.getParent()).isEqualTo(SimFile.SHM_DIR);
                sim.region().set(WireLayouts.LE_U8, 7, (byte) 42);
                assertThat(other.region().get(WireLayouts.LE_U8, 7)).isEqualTo((byte) 42);
            }
            assertThat(shm).doesNotExist();
        } finally {
            try {
                Files.deleteIfExists(shm);
            } catch (IOException ignored) {
                // the assertion above reports a leftover
            }
        }
    }

    @Test
    void aShmNameMustBeOnePathComponent() {
        assertThatThrownBy(() -> SimFile.shmPath("a/b")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SimFile.shmPath("")).isInstanceOf(IllegalArgumentException.class);
    }
}
