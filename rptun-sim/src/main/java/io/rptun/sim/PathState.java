package io.rptun.sim;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * What is at a path right now, read with {@code lstat} (a symbolic link is reported as a link, never
 * followed): its kind, the device and inode that identify it, its mode bits, owner and size.
 *
 * <p>This is how the simulator decides what it may touch. A file is "the same file" only while device and
 * inode are unchanged: a path whose file was deleted and made again by someone else is a different file,
 * even with the same name and size.
 *
 * @param path the path as given
 * @param kind what the path names; {@link Kind#ABSENT} if nothing
 * @param dev {@code st_dev}, 0 when absent
 * @param ino {@code st_ino}, 0 when absent
 * @param mode {@code st_mode} (type and permission bits), 0 when absent
 * @param uid the owner's user id, -1 when absent
 * @param size {@code st_size}, 0 when absent
 */
public record PathState(Path path, Kind kind, long dev, long ino, int mode, int uid, long size) {
    private static final int S_IFMT = 0xF000;
    private static final int S_IFSOCK = 0xC000;
    private static final int S_IFLNK = 0xA000;
    private static final int S_IFREG = 0x8000;
    private static final int S_IFBLK = 0x6000;
    private static final int S_IFDIR = 0x4000;
    private static final int S_IFCHR = 0x2000;
    private static final int S_IFIFO = 0x1000;
    private static final int S_IWUSR = 0x80;

    /** What a path names. */
    public enum Kind {
        ABSENT("nothing"), REGULAR("a regular file"), DIRECTORY("a directory"), SYMLINK("a symbolic link"),
        SOCKET("a socket"), FIFO("a FIFO (named pipe)"), DEVICE("a device node"), OTHER("a special file");

        private final String words;

        Kind(String words) {
            this.words = words;
        }

        /** The kind in words, for messages: "a directory". */
        public String words() {
            return words;
        }
    }

    public PathState {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(kind, "kind");
    }

    /**
     * Reads what is at {@code path} without following a final symbolic link.
     *
     * @throws SimException IO if the path cannot be examined (a parent is not a directory, no permission)
     */
    public static PathState of(Path path) {
        Objects.requireNonNull(path, "path");
        Map<String, Object> a;
        try {
            a = Files.readAttributes(path, "unix:mode,ino,dev,uid,size", LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return new PathState(path, Kind.ABSENT, 0, 0, 0, -1, 0);
        } catch (IOException | UnsupportedOperationException e) {
            throw new SimException(SimException.Reason.IO, path + ": cannot examine the path: " + e, e);
        }
        int mode = (Integer) a.get("mode");
        return new PathState(path, kindOf(mode), (Long) a.get("dev"), (Long) a.get("ino"), mode,
                (Integer) a.get("uid"), (Long) a.get("size"));
    }

    private static Kind kindOf(int mode) {
        return switch (mode & S_IFMT) {
            case S_IFREG -> Kind.REGULAR;
            case S_IFDIR -> Kind.DIRECTORY;
            case S_IFLNK -> Kind.SYMLINK;
            case S_IFSOCK -> Kind.SOCKET;
            case S_IFIFO -> Kind.FIFO;
            case S_IFBLK, S_IFCHR -> Kind.DEVICE;
            default -> Kind.OTHER;
        };
    }

    /** True if nothing is at the path. */
    public boolean absent() {
        return kind == Kind.ABSENT;
    }

    /** True if {@code other} names the very same file: same kind, device and inode. */
    public boolean sameFileAs(PathState other) {
        return kind != Kind.ABSENT && kind == other.kind && dev == other.dev && ino == other.ino;
    }

    /** True if the owner may write it (mode bit {@code S_IWUSR}): a file without it was made read-only. */
    public boolean ownerWritable() {
        return (mode & S_IWUSR) != 0;
    }

    /** The kind in words, with a link's target for a symbolic link: "a symbolic link (to /x/y)". */
    public String describe() {
        if (kind == Kind.SYMLINK) {
            try {
                return kind.words() + " (to " + Files.readSymbolicLink(path) + ")";
            } catch (IOException | UnsupportedOperationException e) {
                return kind.words();
            }
        }
        return kind.words();
    }

    /**
     * The first checks before replacing an existing file: it must be a regular file (a link is never
     * followed), this user's, and writable by its owner. Returns normally if so.
     *
     * @param expected what the file should be, for the message: "an rptun simulator file"
     * @throws SimException NOT_A_REGULAR_FILE, FOREIGN_FILE (another user's), READ_ONLY; the file is left as
     *     it is
     */
    public void requireOwnRegularWritable(String expected) {
        String left = "; it was left as it is";
        if (kind != Kind.REGULAR) {
            throw new SimException(SimException.Reason.NOT_A_REGULAR_FILE, path + ": is " + describe() + ", not "
                    + expected + left);
        }
        int me = ProcFs.myUid();
        if (me >= 0 && uid != me) {
            throw new SimException(SimException.Reason.FOREIGN_FILE, path + ": belongs to uid " + uid
                    + ", not to this user (uid " + me + ")" + left);
        }
        if (!ownerWritable()) {
            throw new SimException(SimException.Reason.READ_ONLY, path + ": is read-only (mode "
                    + Integer.toOctalString(mode & 07777) + ")" + left);
        }
    }

    /**
     * Deletes the file at {@link #path()} only if it is still this very file (same device and inode); a file
     * someone put there since is left alone.
     *
     * @return true if it was deleted; false if the path is empty now or names another file
     * @throws SimException IO if the delete itself failed
     */
    public boolean deleteIfUnchanged() {
        if (absent() || !sameFileAs(of(path))) {
            return false;
        }
        try {
            return Files.deleteIfExists(path);
        } catch (IOException e) {
            throw new SimException(SimException.Reason.IO, path + ": cannot delete: " + e, e);
        }
    }
}
