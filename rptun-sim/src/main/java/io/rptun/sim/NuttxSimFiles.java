package io.rptun.sim;

import io.rptun.core.memory.WireLayouts;
import io.rptun.core.rsc.ResourceTableLayout;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.OptionalLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The file rules of the simulator applied to NuttX's file: a server creates it exclusively and replaces
 * only a stale NuttX file (its size, NuttX's table or none yet, mapped by nobody); a proxy writes nothing
 * before the file is a NuttX server's (its size, NuttX's table, the server's BOOT or OK).
 */
final class NuttxSimFiles {
    private static final String LEFT = "; it was left as it is";

    private NuttxSimFiles() {
    }

    static SimFile createForServer(NuttxSimOptions options) {
        Path path = options.path();
        for (int attempt = 0; ; attempt++) {
            try {
                return SimFile.createRaw(path, NuttxSimLayout.FILE_SIZE, options.deleteOnClose());
            } catch (SimException e) {
                if (e.reason() != SimException.Reason.FILE_EXISTS || attempt >= 3) {
                    throw e;
                }
            }
            PathState existing = PathState.of(path);
            if (!existing.absent()) {
                checkStale(existing);
                existing.deleteIfUnchanged();
            }
        }
    }

    /** Returns normally only for a stale NuttX file; throws the refusal otherwise. */
    private static void checkStale(PathState existing) {
        Path path = existing.path();
        existing.requireOwnRegularWritable("NuttX's shared-memory file");
        if (existing.size() != NuttxSimLayout.FILE_SIZE) {
            throw new SimException(SimException.Reason.FOREIGN_FILE, path + ": is " + existing.size()
                    + " bytes, not NuttX's " + NuttxSimLayout.FILE_SIZE + "-byte simulator file" + LEFT);
        }
        ByteBuffer head = ByteBuffer.allocate((int) (NuttxSimLayout.TABLE_OFFSET + ResourceTableLayout.HEADER_SIZE))
                .order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            while (head.hasRemaining() && channel.read(head) >= 0) {
                // the header and the table's first words
            }
        } catch (IOException e) {
            throw new SimException(SimException.Reason.IO, path + ": cannot read it: " + e + LEFT, e);
        }
        int ver = head.getInt((int) (NuttxSimLayout.TABLE_OFFSET + ResourceTableLayout.VER_OFFSET));
        int num = head.getInt((int) (NuttxSimLayout.TABLE_OFFSET + ResourceTableLayout.NUM_OFFSET));
        boolean nuttxTable = ver == ResourceTableLayout.VERSION && num == NuttxSimLayout.ENTRIES;
        boolean noTableYet = ver == 0 && num == 0; // made by a proxy that never met a server
        if (!nuttxTable && !noTableYet) {
            throw new SimException(SimException.Reason.FOREIGN_FILE, path + ": does not hold NuttX's simulator table"
                    + " (ver " + WireLayouts.u32(ver) + ", num " + WireLayouts.u32(num) + ")" + LEFT);
        }
        OptionalLong mapper = ProcFs.mapper(existing);
        if (mapper.isPresent()) {
            throw new SimException(SimException.Reason.IN_USE, path + ": process " + mapper.getAsLong()
                    + " has it mapped (a NuttX side running: start the server first, remove the file)" + LEFT);
        }
    }

    static SimFile openForProxy(NuttxSimOptions options) {
        Path path = options.path();
        long begun = System.nanoTime();
        long deadline = begun + options.attachTimeout().toNanos();
        while (true) {
            PathState state = PathState.of(path);
            if (!state.absent()) {
                if (state.kind() != PathState.Kind.REGULAR) {
                    throw new SimException(SimException.Reason.NOT_A_REGULAR_FILE, path + ": is " + state.describe()
                            + ", not NuttX's shared-memory file" + LEFT);
                }
                if (state.size() != NuttxSimLayout.FILE_SIZE && state.size() != 0) {
                    throw new SimException(SimException.Reason.WRONG_SIZE, path + ": is " + state.size()
                            + " bytes, not NuttX's " + NuttxSimLayout.FILE_SIZE + "-byte simulator file" + LEFT);
                }
                if (state.size() == NuttxSimLayout.FILE_SIZE) {
                    SimFile file = SimFile.openRaw(path, NuttxSimLayout.FILE_SIZE);
                    try {
                        awaitServer(file, options, deadline);
                        return file;
                    } catch (RuntimeException e) {
                        file.close();
                        throw e;
                    }
                }
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new SimException(SimException.Reason.TIMEOUT, path + ": no NuttX server made it within "
                        + options.attachTimeout() + " (start the server first)");
            }
            LockSupport.parkNanos(10_000_000);
            if (Thread.currentThread().isInterrupted()) {
                throw new SimException(SimException.Reason.INTERRUPTED, path + ": interrupted while waiting for it");
            }
        }
    }

    /** Waits for the server's BOOT (or OK) and its table; nothing is written meanwhile. */
    private static void awaitServer(SimFile file, NuttxSimOptions options, long deadline) {
        var shm = file.segment();
        while (true) {
            int bootm = NuttxSimLayout.getVolatile(shm, NuttxSimLayout.BOOTM_OFFSET);
            boolean booted = (bootm & (NuttxSimLayout.STATUS_BOOT | NuttxSimLayout.STATUS_OK)) != 0;
            if (booted && NuttxSimLayout.hasNuttxTable(shm)) {
                return;
            }
            if (System.nanoTime() - deadline >= 0) {
                if (booted) {
                    throw new SimException(SimException.Reason.FOREIGN_FILE, file.path() + ": a server booted on it"
                            + " but the table is not NuttX's simulator table" + LEFT);
                }
                throw new SimException(SimException.Reason.TIMEOUT, file.path() + ": no NuttX server booted on it"
                        + " within " + options.attachTimeout() + " (start the server first)");
            }
            LockSupport.parkNanos(1_000_000);
            if (Thread.currentThread().isInterrupted()) {
                throw new SimException(SimException.Reason.INTERRUPTED, file.path() + ": interrupted while waiting"
                        + " for a server");
            }
        }
    }
}
