package io.rptun.sim;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.LinkOption;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * A file that two processes map shared: the simulator's stand-in for the memory a real host and a real
 * remote core both see.
 *
 * <p>A <em>simulator file</em> is a {@value SimHeader#HEADER_SIZE}-byte {@link SimHeader} followed by the
 * rptun region (resource table, vrings, buffers), so {@link #region()} starts at file offset 4096 and the
 * region's own offsets are what NuttX and OpenAMP expect. A <em>raw file</em> has no header: the region is
 * the whole file, as in OpenAMP's Linux machine ({@code /dev/shm/openamp.shm}, 0x80000 bytes, resource
 * table at offset 0).
 *
 * <p>The mapping lives in a shared {@link Arena}, so {@link #close()} unmaps at once rather than when the
 * garbage collector gets round to it, and any later access through an old segment fails with
 * {@link IllegalStateException} instead of touching unmapped memory.
 *
 * <h2>Creation handshake</h2>
 * The creator makes the file with {@code O_CREAT|O_EXCL} and mode 0600, gives it its full size in one
 * write of its last byte (so another process sees either an empty file or a full-size one), writes the
 * header and publishes the magic last with a release store (Aeron's CnC-file pattern). An opener waits,
 * for as long as it is told, while the file is empty or the magic is 0; a magic that is neither 0 nor
 * {@code "RPTUNSIM"} is a foreign file and fails at once.
 */
public final class SimFile implements AutoCloseable {
    /** Where Linux keeps POSIX shared memory; the default directory for simulator files. */
    public static final Path SHM_DIR = Path.of("/dev/shm");

    private static final Set<PosixFilePermission> OWNER_READ_WRITE = PosixFilePermissions.fromString("rw-------");
    private static final long POLL_NANOS = Duration.ofMillis(2).toNanos();

    private final Path path;
    private final FileChannel channel;
    private final Arena arena;
    private final MemorySegment segment;
    private final MemorySegment region;
    private final @Nullable SimHeader header;
    /** What close deletes: the file this process created, if asked to delete it. */
    private final @Nullable OwnedPath deleteOnClose;
    /** The file this process created (null for a file it opened). */
    private final @Nullable OwnedPath created;
    private final AtomicBoolean closed = new AtomicBoolean();

    private SimFile(Path path, FileChannel channel, Arena arena, MemorySegment segment, @Nullable SimHeader header,
            @Nullable OwnedPath deleteOnClose, @Nullable OwnedPath created) {
        this.path = path;
        this.channel = channel;
        this.arena = arena;
        this.segment = segment;
        this.header = header;
        this.region = header == null ? segment : segment.asSlice(SimHeader.HEADER_SIZE, header.regionSize());
        this.deleteOnClose = deleteOnClose;
        this.created = created;
    }

    /** {@code /dev/shm/<name>}: where {@code shm_open(name)} puts its file on Linux. */
    public static Path shmPath(String name) {
        if (name.isEmpty() || name.indexOf('/') >= 0) {
            throw new IllegalArgumentException("a shm name is one path component: '" + name + "'");
        }
        return SHM_DIR.resolve(name);
    }

    /**
     * Creates a simulator file of {@value SimHeader#HEADER_SIZE} + {@code regionSize} bytes, mode 0600, and
     * publishes its header. Creation is exclusive: nothing that is at {@code path} already is touched.
     *
     * @param deleteOnClose whether {@link #close()} (or the JVM's exit, if close never came) deletes the file,
     *     and then only while it is still the file created here (same device and inode)
     * @throws SimException FILE_EXISTS if anything is there already, FILE_MISSING if the directory is
     *     missing, IO on any other I/O error
     */
    public static SimFile create(Path path, long regionSize, boolean deleteOnClose) {
        checkRegionSize(regionSize);
        return createMapped(path, SimHeader.HEADER_SIZE + regionSize, deleteOnClose, true);
    }

    /**
     * As {@link #create}, but a <em>provably stale</em> simulator file at {@code path} (one left by a link
     * whose processes are all gone) is replaced. Everything else is refused and left exactly as it was, with
     * its own reason:
     * <ul>
     * <li>NOT_A_REGULAR_FILE: a directory, a symbolic link (never followed), a FIFO, a device node, a
     *     socket;</li>
     * <li>FOREIGN_FILE: a file of another owner, an empty file, a file that is not an rptun simulator file
     *     (wrong magic), or one of another version or size than its header says;</li>
     * <li>READ_ONLY: a file without the owner's write permission;</li>
     * <li>IN_USE: a live link: a process maps the file, or a process it names (creator, host, remote) is
     *     alive and a heartbeat moved within {@code liveness}; the message names the pid.</li>
     * </ul>
     * A file whose creator is still writing it (empty, or magic 0) is given a moment to become ready first,
     * so of two hosts started at the same instant on one path exactly one wins and the other is refused
     * IN_USE. The deletion itself only happens while the path still names the file that was judged stale.
     *
     * @param liveness how long a heartbeat may stand still before a side counts as gone, when the pid it
     *     names belongs to a live process (a pid reused after a crash)
     */
    public static SimFile createOrReplaceStale(Path path, long regionSize, boolean deleteOnClose, Duration liveness) {
        checkRegionSize(regionSize);
        Objects.requireNonNull(liveness, "liveness");
        for (int attempt = 0; ; attempt++) {
            try {
                return createMapped(path, SimHeader.HEADER_SIZE + regionSize, deleteOnClose, true);
            } catch (SimException e) {
                if (e.reason() != SimException.Reason.FILE_EXISTS) {
                    throw e;
                }
                if (attempt >= 3) {
                    throw new SimException(SimException.Reason.IN_USE, path + ": another process keeps creating"
                            + " a file there", e);
                }
            }
            PathState existing = PathState.of(path);
            if (!existing.absent()) {
                StaleSimFile.check(existing, liveness);
                existing.deleteIfUnchanged();
            }
        }
    }

    private static void checkRegionSize(long regionSize) {
        if (regionSize <= 0 || regionSize > Long.MAX_VALUE - SimHeader.HEADER_SIZE) {
            throw new IllegalArgumentException("regionSize=" + regionSize);
        }
    }

    /**
     * Creates a raw file of exactly {@code size} bytes, mode 0600, with no simulator header (OpenAMP's Linux
     * machine profile: the resource table at file offset 0). Creation is exclusive, as {@link #create}.
     *
     * @throws SimException FILE_EXISTS if anything is there already
     */
    public static SimFile createRaw(Path path, long size, boolean deleteOnClose) {
        if (size <= 0) {
            throw new IllegalArgumentException("size=" + size);
        }
        return createMapped(path, size, deleteOnClose, false);
    }

    private static SimFile createMapped(Path path, long size, boolean deleteOnClose, boolean withHeader) {
        Objects.requireNonNull(path, "path");
        FileChannel channel;
        try {
            // O_CREAT|O_EXCL: fails on anything at the path, a dangling symbolic link included.
            Set<OpenOption> options = Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                    StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
            channel = FileChannel.open(path, options, PosixFilePermissions.asFileAttribute(OWNER_READ_WRITE));
        } catch (FileAlreadyExistsException e) {
            throw new SimException(SimException.Reason.FILE_EXISTS, path + ": something is there already ("
                    + PathState.of(path).describe() + ")", e);
        } catch (NoSuchFileException e) {
            throw new SimException(SimException.Reason.FILE_MISSING, path + ": the directory does not exist", e);
        } catch (IOException e) {
            throw new SimException(SimException.Reason.IO, path + ": cannot create: " + e, e);
        }
        OwnedPath owned;
        try {
            owned = OwnedPath.claim(path, deleteOnClose);
        } catch (RuntimeException e) {
            closeQuietly(channel, e);
            throw e;
        }
        Arena arena = Arena.ofShared();
        try {
            // The umask can only take bits away; set the mode again so it is exactly 0600 whatever the umask.
            Files.setPosixFilePermissions(path, OWNER_READ_WRITE);
            // One write of the last byte: the file goes from empty to its full size in one step.
            channel.write(ByteBuffer.wrap(new byte[1]), size - 1);
            MemorySegment segment = channel.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
            SimHeader header = null;
            if (withHeader) {
                header = SimHeader.over(segment, path.toString());
                header.initialise(size - SimHeader.HEADER_SIZE);
                header.publishReady();
            }
            return new SimFile(path, channel, arena, segment, header, deleteOnClose ? owned : null, owned);
        } catch (IOException | RuntimeException e) {
            arena.close();
            closeQuietly(channel, e);
            try {
                owned.delete();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            if (e instanceof IOException io) {
                throw new SimException(SimException.Reason.IO, path + ": cannot size or map " + size + " bytes: "
                        + io, io);
            }
            throw (RuntimeException) e;
        }
    }

    /**
     * Opens an existing simulator file and waits up to {@code waitForReady} for its creator to publish the
     * header.
     *
     * @throws SimException FILE_MISSING; NOT_READY if the file stayed empty or its magic stayed 0; BAD_MAGIC
     *     at once for a non-zero foreign magic; BAD_VERSION; WRONG_SIZE at once for a file that is not
     *     empty but shorter than the header, or when the file is not header + region size; IO; INTERRUPTED
     */
    public static SimFile open(Path path, Duration waitForReady) {
        Objects.requireNonNull(path, "path");
        long deadline = System.nanoTime() + Math.max(0, waitForReady.toNanos());
        FileChannel channel = openExisting(path);
        Arena arena = Arena.ofShared();
        try {
            long size = channel.size();
            while (size == 0) {
                pauseUntil(deadline, path, "the file is still empty");
                size = channel.size();
            }
            if (size < SimHeader.HEADER_SIZE) {
                throw new SimException(SimException.Reason.WRONG_SIZE, path + ": file is " + size
                        + " bytes, shorter than the " + SimHeader.HEADER_SIZE + "-byte header");
            }
            MemorySegment segment = channel.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
            SimHeader header = SimHeader.over(segment, path.toString());
            while (true) {
                long magic = header.magic();
                if (magic == SimHeader.MAGIC) {
                    break;
                }
                if (magic != 0) {
                    header.check(size); // BAD_MAGIC
                }
                pauseUntil(deadline, path, "the magic (ready flag) is still 0");
            }
            header.check(size);
            return new SimFile(path, channel, arena, segment, header, null, null);
        } catch (IOException | RuntimeException e) {
            arena.close();
            closeQuietly(channel, e);
            if (e instanceof IOException io) {
                throw new SimException(SimException.Reason.IO, path + ": cannot read or map: " + io, io);
            }
            throw (RuntimeException) e;
        }
    }

    /**
     * Opens an existing raw file (no simulator header) that must be exactly {@code expectedSize} bytes.
     *
     * @throws SimException FILE_MISSING, WRONG_SIZE, IO
     */
    public static SimFile openRaw(Path path, long expectedSize) {
        Objects.requireNonNull(path, "path");
        if (expectedSize <= 0) {
            throw new IllegalArgumentException("expectedSize=" + expectedSize);
        }
        FileChannel channel = openExisting(path);
        Arena arena = Arena.ofShared();
        try {
            long size = channel.size();
            if (size != expectedSize) {
                throw new SimException(SimException.Reason.WRONG_SIZE, path + ": file is " + size
                        + " bytes, expected " + expectedSize);
            }
            MemorySegment segment = channel.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
            return new SimFile(path, channel, arena, segment, null, null, null);
        } catch (IOException | RuntimeException e) {
            arena.close();
            closeQuietly(channel, e);
            if (e instanceof IOException io) {
                throw new SimException(SimException.Reason.IO, path + ": cannot read or map: " + io, io);
            }
            throw (RuntimeException) e;
        }
    }

    /**
     * Opens a file someone else created, for reading and writing: only a regular file (a symbolic link is not
     * followed) that its owner may write.
     */
    private static FileChannel openExisting(Path path) {
        PathState state = PathState.of(path);
        if (state.absent()) {
            throw new SimException(SimException.Reason.FILE_MISSING, path + ": no such file");
        }
        if (state.kind() != PathState.Kind.REGULAR) {
            throw new SimException(SimException.Reason.NOT_A_REGULAR_FILE, path + ": is " + state.describe()
                    + ", not a shared-memory file; it was left as it is");
        }
        if (!state.ownerWritable()) {
            throw new SimException(SimException.Reason.READ_ONLY, path + ": is read-only (mode "
                    + Integer.toOctalString(state.mode() & 07777) + "); it was left as it is");
        }
        try {
            return FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE,
                    LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            throw new SimException(SimException.Reason.FILE_MISSING, path + ": no such file", e);
        } catch (IOException e) {
            throw new SimException(SimException.Reason.IO, path + ": cannot open: " + e, e);
        }
    }

    private static void pauseUntil(long deadline, Path path, String what) {
        long remaining = deadline - System.nanoTime();
        if (remaining <= 0) {
            throw new SimException(SimException.Reason.NOT_READY, path + ": not ready in time: " + what);
        }
        LockSupport.parkNanos(Math.min(POLL_NANOS, remaining));
        if (Thread.currentThread().isInterrupted()) {
            throw new SimException(SimException.Reason.INTERRUPTED, path + ": interrupted while waiting: " + what);
        }
    }

    private static void closeQuietly(FileChannel channel, Exception primary) {
        try {
            channel.close();
        } catch (IOException suppressed) {
            primary.addSuppressed(suppressed);
        }
    }

    /** The simulator header. */
    public SimHeader header() {
        ensureOpen();
        if (header == null) {
            throw new IllegalStateException(path + " is a raw file: it has no simulator header");
        }
        return header;
    }

    /** True for a raw file (no simulator header). */
    public boolean isRaw() {
        return header == null;
    }

    /** The rptun region: after the header, or the whole file for a raw file. */
    public MemorySegment region() {
        ensureOpen();
        return region;
    }

    /** The whole mapping, header included. */
    public MemorySegment segment() {
        ensureOpen();
        return segment;
    }

    public Path path() {
        return path;
    }

    /** True if this process created the file (rather than opened one another process made). */
    public boolean createdHere() {
        return created != null;
    }

    /** The file's (and the mapping's) size in bytes. */
    public long size() {
        return segment.byteSize();
    }

    public boolean isOpen() {
        return !closed.get();
    }

    private void ensureOpen() {
        if (closed.get()) {
            throw new SimException(SimException.Reason.CLOSED, path + ": the file was closed");
        }
    }

    /**
     * Unmaps the file at once (every segment handed out fails with {@link IllegalStateException} after),
     * closes it, and deletes it if asked at creation, but only while the path still names the file created
     * here. Idempotent.
     *
     * @throws SimException IO if the file could not be closed or deleted
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        Exception failure = null;
        try {
            arena.close();
        } finally {
            try {
                channel.close();
            } catch (IOException e) {
                failure = e;
            }
            if (deleteOnClose != null) {
                try {
                    deleteOnClose.delete();
                } catch (SimException e) {
                    if (failure == null) {
                        failure = e;
                    } else {
                        failure.addSuppressed(e);
                    }
                }
            }
        }
        if (failure != null) {
            throw new SimException(SimException.Reason.IO, path + ": cannot close or delete: " + failure, failure);
        }
    }

    @Override
    public String toString() {
        return "SimFile[" + path + ", " + size() + " bytes" + (isRaw() ? ", raw" : "") + (isOpen() ? "" : ", closed")
                + "]";
    }
}
