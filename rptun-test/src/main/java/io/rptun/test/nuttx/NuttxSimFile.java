package io.rptun.test.nuttx;

import io.rptun.core.memory.SharedAccess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;

/**
 * NuttX's simulator transport file ({@code arch/sim/src/sim/sim_rptun.c}, {@code struct sim_rptun_shmem_s}),
 * opened the way NuttX's {@code host_allocshmem} does: {@code O_RDWR|O_CREAT} mode 0600, sized with
 * {@code ftruncate} to 197,072 bytes whether it existed or not, mapped {@code MAP_SHARED}.
 *
 * <pre>
 * 0x00  base   u64  the master's virtual address of its mapping: pa = base + file offset
 * 0x08  seqs   u32  notify counter, incremented by the slave
 * 0x0C  seqm   u32  notify counter, incremented by the master
 * 0x10  boots  u32  slave status bits  (BOOT 1, OK 2, NEED_RESET 4)
 * 0x14  bootm  u32  master status bits (same values)
 * 0x18  struct sim_rptun_rsc_s (8-aligned), whose header reserved words are the mailbox:
 *       0x20 cmd_master, 0x24 cmd_slave, each (cmd &lt;&lt; 16) | value
 * </pre>
 *
 * <p>Test paths only: a model is given a path in a temporary directory, never NuttX's own
 * {@code /dev/shm/server-proxy}. Every header word has one writer (see each accessor); each is read
 * with acquire and written with release, as NuttX's {@code volatile} fields are.
 */
public final class NuttxSimFile implements AutoCloseable {
    /** {@code sizeof(struct sim_rptun_shmem_s)}. */
    public static final int SIZE = 197_072;
    public static final long BASE_OFFSET = 0x00;
    public static final long SEQS_OFFSET = 0x08;
    public static final long SEQM_OFFSET = 0x0C;
    public static final long BOOTS_OFFSET = 0x10;
    public static final long BOOTM_OFFSET = 0x14;
    /** The resource table's start, {@code offsetof(struct sim_rptun_shmem_s, rsc)}. */
    public static final long TABLE_OFFSET = 0x18;
    /** {@code rsc_tbl_hdr.reserved[0]}: the master's mailbox word, read by the slave. */
    public static final long CMD_MASTER_OFFSET = 0x20;
    /** {@code rsc_tbl_hdr.reserved[1]}: the slave's mailbox word, read by the master. */
    public static final long CMD_SLAVE_OFFSET = 0x24;

    /** {@code SIM_RPTUN_STATUS_BOOT}. */
    public static final int STATUS_BOOT = 0x01;
    /** {@code SIM_RPTUN_STATUS_OK}. */
    public static final int STATUS_OK = 0x02;
    /** {@code SIM_RPTUN_STATUS_NEED_RESET}. */
    public static final int STATUS_NEED_RESET = 0x04;

    public static final int CMD_DONE = 0x0;
    public static final int CMD_READY = 0x1;
    public static final int CMD_PANIC = 0x2;
    public static final int CMD_RESET = 0x3;
    public static final int CMD_STOP = 0x4;
    public static final int CMD_ACK = 0xFFFF;

    private final Path path;
    private final Arena arena;
    private final MemorySegment memory;

    private NuttxSimFile(Path path, Arena arena, MemorySegment memory) {
        this.path = path;
        this.arena = arena;
        this.memory = memory;
    }

    /** {@code RPTUN_CMD(cmd, value)}. */
    public static int cmd(int cmd, int value) {
        return (cmd << 16) | (value & 0xFFFF);
    }

    /** {@code RPTUN_GET_CMD(word)}. */
    public static int cmdOf(int word) {
        return word >>> 16;
    }

    /** {@code RPTUN_GET_CMD_VAL(word)}. */
    public static int cmdValue(int word) {
        return word & 0xFFFF;
    }

    /**
     * Opens {@code path} as NuttX does: created with mode 0600 if absent, then sized to {@link #SIZE}
     * (grown with zeros or cut, as {@code ftruncate}), then mapped shared. The channel is closed once
     * mapped, as NuttX closes its descriptor.
     */
    public static NuttxSimFile open(Path path) {
        Arena arena = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(path,
                EnumSet.of(StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.CREATE),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
            long size = channel.size();
            if (size > SIZE) {
                channel.truncate(SIZE);
            } else if (size < SIZE) {
                channel.write(ByteBuffer.allocate(1), SIZE - 1);
            }
            MemorySegment memory = channel.map(FileChannel.MapMode.READ_WRITE, 0, SIZE, arena);
            return new NuttxSimFile(path, arena, memory);
        } catch (IOException e) {
            arena.close();
            throw new UncheckedIOException("cannot open " + path + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    public Path path() {
        return path;
    }

    /** The whole mapping, {@link #SIZE} bytes. */
    public MemorySegment memory() {
        return memory;
    }

    /** {@code base}: written by the master before it sets {@code bootm = BOOT}; read by the slave after OK. */
    public long base() {
        return SharedAccess.getLongAcquire(memory, BASE_OFFSET);
    }

    public void base(long value) {
        SharedAccess.putLongRelease(memory, BASE_OFFSET, value);
    }

    /** {@code seqs}: the slave's notify counter. */
    public int seqs() {
        return SharedAccess.getIntAcquire(memory, SEQS_OFFSET);
    }

    /** {@code seqm}: the master's notify counter. */
    public int seqm() {
        return SharedAccess.getIntAcquire(memory, SEQM_OFFSET);
    }

    /** {@code seqs++} (the slave's notify); everything written before is visible with the new count. */
    public void incrementSeqs() {
        SharedAccess.putIntRelease(memory, SEQS_OFFSET, seqs() + 1);
    }

    /** {@code seqm++} (the master's notify). */
    public void incrementSeqm() {
        SharedAccess.putIntRelease(memory, SEQM_OFFSET, seqm() + 1);
    }

    /** {@code boots}: the slave's status (the master writes it once: NEED_RESET on its restart). */
    public int boots() {
        return SharedAccess.getIntAcquire(memory, BOOTS_OFFSET);
    }

    public void boots(int value) {
        SharedAccess.putIntRelease(memory, BOOTS_OFFSET, value);
    }

    /** {@code bootm}: the master's status (the slave writes it once: NEED_RESET on its restart). */
    public int bootm() {
        return SharedAccess.getIntAcquire(memory, BOOTM_OFFSET);
    }

    public void bootm(int value) {
        SharedAccess.putIntRelease(memory, BOOTM_OFFSET, value);
    }

    /** {@code cmd_master}: written by the master (and cleared to DONE by the slave once read). */
    public int cmdMaster() {
        return SharedAccess.getIntAcquire(memory, CMD_MASTER_OFFSET);
    }

    public void cmdMaster(int word) {
        SharedAccess.putIntRelease(memory, CMD_MASTER_OFFSET, word);
    }

    /** {@code cmd_slave}: written by the slave (and cleared to DONE by the master once read). */
    public int cmdSlave() {
        return SharedAccess.getIntAcquire(memory, CMD_SLAVE_OFFSET);
    }

    public void cmdSlave(int word) {
        SharedAccess.putIntRelease(memory, CMD_SLAVE_OFFSET, word);
    }

    /** {@code host_freeshmem} + {@code host_unlinkshmem}: unmaps, then removes the file. */
    public void closeAndUnlink() {
        close();
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Unmaps (idempotent). */
    @Override
    public void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }
}
