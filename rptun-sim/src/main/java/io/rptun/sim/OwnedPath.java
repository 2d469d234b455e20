package io.rptun.sim;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A file or socket this process created, remembered by device and inode, so that it is deleted only while
 * it is still the one we made: never a file someone else put at the same path meanwhile.
 *
 * <p>An owned path that is marked for deletion is also deleted when the JVM exits normally or on a signal
 * (SIGTERM, Ctrl-C) without its owner having closed it: one shutdown hook for the whole process walks what
 * is still registered. A SIGKILL leaves the file behind; the next creator finds it stale and replaces it
 * (see {@link SimFile#createOrReplaceStale}).
 *
 * <p>Threads: {@link #release()} and {@link #delete()} may be called from any thread, once each counts.
 */
public final class OwnedPath {
    private static final Set<OwnedPath> AT_EXIT = ConcurrentHashMap.newKeySet();
    private static final AtomicBoolean HOOKED = new AtomicBoolean();

    private final PathState created;
    private final AtomicBoolean done = new AtomicBoolean();

    private OwnedPath(PathState created) {
        this.created = created;
    }

    /**
     * Remembers what is at {@code path} now as ours: call it right after an exclusive create or a bind.
     *
     * @param deleteAtExit whether a JVM exit deletes it if {@link #delete()} or {@link #release()} did not
     *     come first
     * @throws SimException IO if the path cannot be examined; FILE_MISSING if nothing is there
     */
    public static OwnedPath claim(Path path, boolean deleteAtExit) {
        PathState state = PathState.of(Objects.requireNonNull(path, "path"));
        if (state.absent()) {
            throw new SimException(SimException.Reason.FILE_MISSING, path + ": vanished right after it was created");
        }
        OwnedPath owned = new OwnedPath(state);
        if (deleteAtExit) {
            hookOnce();
            AT_EXIT.add(owned);
        }
        return owned;
    }

    private static void hookOnce() {
        if (HOOKED.compareAndSet(false, true)) {
            Runtime.getRuntime().addShutdownHook(new Thread(OwnedPath::deleteAllQuietly, "rptun-owned-files"));
        }
    }

    private static void deleteAllQuietly() {
        for (OwnedPath owned : AT_EXIT) {
            try {
                owned.delete();
            } catch (RuntimeException ignored) {
                // Exiting: nothing else can be done about a file that cannot be deleted.
            }
        }
    }

    /** The path. */
    public Path path() {
        return created.path();
    }

    /** What was at the path when it was claimed. */
    public PathState created() {
        return created;
    }

    /** True while the path still names the file we created. */
    public boolean stillOurs() {
        return created.sameFileAs(PathState.of(created.path()));
    }

    /**
     * Deletes the file if the path still names the one we created; forgets it either way. Idempotent.
     *
     * @return true if it was deleted by this call
     * @throws SimException IO if the delete itself failed
     */
    public boolean delete() {
        if (!done.compareAndSet(false, true)) {
            return false;
        }
        AT_EXIT.remove(this);
        return created.deleteIfUnchanged();
    }

    /** Forgets the file without deleting it (it is meant to stay). Idempotent. */
    public void release() {
        done.set(true);
        AT_EXIT.remove(this);
    }

    @Override
    public String toString() {
        return "OwnedPath[" + created.path() + ", dev " + created.dev() + ", ino " + created.ino() + "]";
    }
}
