package io.rptun.sim;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Decides whether an existing file may be replaced by a new simulator file: only if it is provably a stale
 * rptun simulator file. It reads the file (opened read-only, mapped read-only) and never writes it.
 *
 * <p>Stale means: a regular file of ours (our uid, owner-writable) with the simulator's magic, version and
 * sizes, that no process maps, and whose named processes (creator, host, remote) are all gone, or, for a
 * pid that is alive (a pid reused after a crash), whose heartbeats stood still for the liveness period.
 */
final class StaleSimFile {
    /** How long a file that is still being created (empty, or magic 0) is given to become ready. */
    private static final long CREATING_GRACE_NANOS = Duration.ofSeconds(1).toNanos();
    private static final long POLL_NANOS = Duration.ofMillis(5).toNanos();
    private static final String LEFT = "; it was left as it is";

    private StaleSimFile() {
    }

    /**
     * Returns normally if {@code existing} is a stale simulator file; otherwise throws the refusal.
     *
     * @throws SimException NOT_A_REGULAR_FILE, FOREIGN_FILE, READ_ONLY, IN_USE, BAD_VERSION, WRONG_SIZE, IO
     */
    static void check(PathState existing, Duration liveness) {
        Path path = existing.path();
        existing.requireOwnRegularWritable("an rptun simulator file");
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
                Arena arena = Arena.ofConfined()) {
            if (!existing.sameFileAs(PathState.of(path))) {
                return; // replaced meanwhile: the caller's exclusive create decides again
            }
            SimHeader header = awaitHeader(path, channel, arena);
            judge(existing, header, channel, liveness);
        } catch (IOException e) {
            throw new SimException(SimException.Reason.IO, path + ": cannot read it: " + e + LEFT, e);
        }
    }

    /**
     * The published header, waiting a moment for a creator that is still writing it. The header is read
     * into memory of our own, not mapped: a mapping of ours would look like a live user of the file.
     */
    private static SimHeader awaitHeader(Path path, FileChannel channel, Arena arena) throws IOException {
        long deadline = System.nanoTime() + CREATING_GRACE_NANOS;
        MemorySegment copy = arena.allocate(SimHeader.HEADER_SIZE, Long.BYTES);
        SimHeader header = SimHeader.over(copy, path.toString());
        while (true) {
            long size = channel.size();
            if (size >= SimHeader.HEADER_SIZE) {
                reread(channel, copy);
                long magic = header.magic();
                if (magic == SimHeader.MAGIC) {
                    return header;
                }
                if (magic != 0) {
                    throw new SimException(SimException.Reason.FOREIGN_FILE, path + ": is not an rptun simulator"
                            + " file (its first 8 bytes are 0x" + Long.toHexString(Long.reverseBytes(magic)) + ")"
                            + LEFT);
                }
            } else if (size > 0) {
                throw new SimException(SimException.Reason.FOREIGN_FILE, path + ": is " + size + " bytes, not an"
                        + " rptun simulator file" + LEFT);
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new SimException(SimException.Reason.FOREIGN_FILE, path + ": "
                        + (size == 0 ? "is empty" : "has no rptun header (magic 0)")
                        + ": not made by rptun, or its maker died while writing it; remove it yourself if it is"
                        + " yours" + LEFT);
            }
            LockSupport.parkNanos(POLL_NANOS);
            if (Thread.currentThread().isInterrupted()) {
                throw new SimException(SimException.Reason.INTERRUPTED, path + ": interrupted while looking at it");
            }
        }
    }

    /** Reads the file's first {@value SimHeader#HEADER_SIZE} bytes into {@code copy} again. */
    private static void reread(FileChannel channel, MemorySegment copy) throws IOException {
        java.nio.ByteBuffer buffer = copy.asByteBuffer();
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, buffer.position()) < 0) {
                copy.asSlice(buffer.position()).fill((byte) 0);
                return;
            }
        }
    }

    private static void judge(PathState existing, SimHeader header, FileChannel channel, Duration liveness)
            throws IOException {
        Path path = existing.path();
        MemorySegment copy = header.segment();
        try {
            header.check(channel.size());
        } catch (SimException e) {
            throw new SimException(e.reason(), e.getMessage() + LEFT, e);
        }
        OptionalLong mapper = ProcFs.mapper(existing);
        if (mapper.isPresent()) {
            throw new SimException(SimException.Reason.IN_USE, path + ": is a live link: process "
                    + mapper.getAsLong() + " has it mapped" + LEFT);
        }
        List<String> alive = new ArrayList<>();
        addIfAlive(alive, "creator", header.creatorPid());
        addIfAlive(alive, "host", header.pid(SimHeader.Side.HOST));
        addIfAlive(alive, "remote", header.pid(SimHeader.Side.REMOTE));
        if (alive.isEmpty()) {
            return; // every process it names is gone
        }
        // A named pid is alive but nobody maps the file: a pid reused after a crash, or a process whose
        // mappings cannot be read. Only heartbeats that stand still for the liveness period prove it stale.
        long hostBeat = header.heartbeat(SimHeader.Side.HOST);
        long remoteBeat = header.heartbeat(SimHeader.Side.REMOTE);
        long deadline = System.nanoTime() + liveness.toNanos();
        while (System.nanoTime() - deadline < 0) {
            reread(channel, copy);
            if (header.heartbeat(SimHeader.Side.HOST) != hostBeat
                    || header.heartbeat(SimHeader.Side.REMOTE) != remoteBeat) {
                throw new SimException(SimException.Reason.IN_USE, path + ": is a live link (" + String.join(", ", alive)
                        + "; its heartbeat moves)" + LEFT);
            }
            LockSupport.parkNanos(Math.min(Duration.ofMillis(10).toNanos(), liveness.toNanos()));
            if (Thread.currentThread().isInterrupted()) {
                throw new SimException(SimException.Reason.INTERRUPTED, path + ": interrupted while looking at it");
            }
        }
    }

    private static void addIfAlive(List<String> alive, String role, long pid) {
        if (ProcFs.alive(pid)) {
            alive.add(role + " pid " + pid + " is alive");
        }
    }
}
