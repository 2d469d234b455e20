package io.rptun.sim;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Linux futexes on a word in a shared mapping: sleep in the kernel until the word changes, without a
 * syscall on the waking side unless somebody sleeps.
 *
 * <p>This calls libc's {@code syscall(SYS_futex, uaddr, op, val, timeout, NULL, 0)} through the FFM linker
 * (there is no glibc wrapper for futex). The operations are the <em>shared</em> ones ({@code FUTEX_WAIT} 0,
 * {@code FUTEX_WAKE} 1, without {@code FUTEX_PRIVATE_FLAG}): the kernel keys the futex by the file page and
 * offset, so two processes that map the same file meet on the same futex whatever their virtual addresses.
 *
 * <p>The word's address is passed as a plain integer rather than as a segment argument. A segment argument
 * keeps its arena acquired for the whole call, so a {@link SimFile} could not be closed while a thread
 * sleeps here. The kernel only uses the address to read the word and find the futex key: if the mapping
 * were gone by then, the call fails with {@code EFAULT} ({@link SimException.Reason#FUTEX_FAILED}); it never
 * touches freed memory on our behalf.
 *
 * <p>Steady state allocates nothing: the {@code timespec} and the errno capture buffer are per thread.
 * Supported on Linux x86_64 ({@code SYS_futex} 202) and aarch64 (98); elsewhere every call throws
 * {@link SimException.Reason#FUTEX_UNSUPPORTED} and {@link #isSupported()} is false.
 */
public final class Futex {
    /** What a {@link #wait} came back with. */
    public enum WaitResult {
        /** {@code 0}: woken by a {@code FUTEX_WAKE} (or spuriously: callers re-check the word). */
        WOKEN,
        /** {@code EAGAIN}: the word did not hold the expected value when the kernel looked. */
        VALUE_CHANGED,
        /** {@code ETIMEDOUT}. */
        TIMED_OUT,
        /** {@code EINTR}: a signal interrupted the sleep. */
        INTERRUPTED
    }

    private static final long FUTEX_WAIT = 0;
    private static final long FUTEX_WAKE = 1;
    // asm-generic errno values, the same on x86_64 and aarch64.
    private static final int EINTR = 4;
    private static final int EAGAIN = 11;
    private static final int ETIMEDOUT = 110;

    private Futex() {
    }

    /** True on Linux x86_64 and aarch64 when libc's {@code syscall} was found. */
    public static boolean isSupported() {
        return Native.FAILURE == null;
    }

    /**
     * Throws unless futexes work here.
     *
     * @throws SimException FUTEX_UNSUPPORTED saying why
     */
    public static void requireSupported() {
        Native.get();
    }

    /**
     * Sleeps while {@code word} holds {@code expected}, at most {@code timeout} (relative; zero or negative
     * only checks the word).
     *
     * @param word a 4-byte, 4-byte-aligned native segment (in a shared mapping for cross-process use)
     * @throws IllegalArgumentException if the word is not 4 bytes, aligned, native
     * @throws IllegalStateException if the word's arena is closed
     * @throws SimException FUTEX_UNSUPPORTED, or FUTEX_FAILED with the errno
     */
    public static WaitResult wait(MemorySegment word, int expected, Duration timeout) {
        return waitNanos(word, expected, timeout.isNegative() ? 0 : saturatedNanos(timeout));
    }

    /** As {@link #wait(MemorySegment, int, Duration)} with the timeout in nanoseconds (no allocation). */
    public static WaitResult waitNanos(MemorySegment word, int expected, long timeoutNanos) {
        long address = checkWord(word);
        Native n = Native.get();
        Scratch scratch = Native.SCRATCH.get();
        long nanos = Math.max(0, timeoutNanos);
        scratch.timespec.set(ValueLayout.JAVA_LONG, 0, nanos / 1_000_000_000L);
        scratch.timespec.set(ValueLayout.JAVA_LONG, 8, nanos % 1_000_000_000L);
        long rc;
        try {
            rc = (long) n.syscall.invokeExact(scratch.errno, n.sysFutex, address, FUTEX_WAIT, (long) expected,
                    scratch.timespec, 0L, 0L);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (rc == 0) {
            return WaitResult.WOKEN;
        }
        int errno = n.errno(scratch.errno);
        return switch (errno) {
            case EAGAIN -> WaitResult.VALUE_CHANGED;
            case ETIMEDOUT -> WaitResult.TIMED_OUT;
            case EINTR -> WaitResult.INTERRUPTED;
            default -> throw failed("FUTEX_WAIT", word, errno);
        };
    }

    /**
     * Wakes at most {@code count} threads (of any process) sleeping on {@code word}.
     *
     * @return how many were woken
     * @throws IllegalArgumentException if the word is not 4 bytes, aligned, native, or count is not positive
     * @throws SimException FUTEX_UNSUPPORTED, or FUTEX_FAILED with the errno
     */
    public static int wake(MemorySegment word, int count) {
        if (count <= 0) {
            throw new IllegalArgumentException("count=" + count);
        }
        long address = checkWord(word);
        Native n = Native.get();
        Scratch scratch = Native.SCRATCH.get();
        long rc;
        try {
            rc = (long) n.syscall.invokeExact(scratch.errno, n.sysFutex, address, FUTEX_WAKE, (long) count,
                    MemorySegment.NULL, 0L, 0L);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (rc < 0) {
            throw failed("FUTEX_WAKE", word, n.errno(scratch.errno));
        }
        return (int) rc;
    }

    private static long checkWord(MemorySegment word) {
        Objects.requireNonNull(word, "word");
        if (!word.isNative()) {
            throw new IllegalArgumentException("a futex word must be in native (mapped) memory: " + word);
        }
        if (word.byteSize() != Integer.BYTES || (word.address() & (Integer.BYTES - 1)) != 0) {
            throw new IllegalArgumentException("a futex word is 4 bytes at a 4-byte aligned address, got "
                    + word.byteSize() + " bytes at 0x" + Long.toHexString(word.address()));
        }
        if (!word.scope().isAlive()) {
            throw new IllegalStateException("the futex word's arena is closed (the file was unmapped)");
        }
        return word.address();
    }

    private static long saturatedNanos(Duration timeout) {
        try {
            return timeout.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    private static SimException failed(String op, MemorySegment word, int errno) {
        return new SimException(SimException.Reason.FUTEX_FAILED, op + " on the word at 0x"
                + Long.toHexString(word.address()) + " failed with errno " + errno);
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }

    /** Per-thread buffers: the relative timeout and the errno capture. */
    private record Scratch(MemorySegment timespec, MemorySegment errno) {
    }

    /** The downcall, resolved once; {@link #FAILURE} says why it could not be. */
    private static final class Native {
        static final @Nullable String FAILURE;
        static final @Nullable Native INSTANCE;
        static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(() -> {
            Arena arena = Arena.ofAuto();
            return new Scratch(arena.allocate(16, 8), arena.allocate(Native.STATE_LAYOUT));
        });
        static final StructLayout STATE_LAYOUT = Linker.Option.captureStateLayout();
        static final VarHandle ERRNO = STATE_LAYOUT.varHandle(
                MemoryLayout.PathElement.groupElement("errno"));

        final MethodHandle syscall;
        final long sysFutex;

        static {
            String failure = null;
            Native instance = null;
            String os = System.getProperty("os.name", "");
            String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
            long number = switch (arch) {
                case "amd64", "x86_64" -> 202;
                case "aarch64", "arm64" -> 98;
                default -> -1;
            };
            if (!os.startsWith("Linux") || number < 0) {
                failure = "futexes need Linux on x86_64 or aarch64, this is " + os + " on " + arch;
            } else {
                Object linked = link(number);
                if (linked instanceof Native n) {
                    instance = n;
                } else {
                    failure = (String) linked;
                }
            }
            FAILURE = failure;
            INSTANCE = instance;
        }

        /** The downcall to libc's syscall(), or a string saying why there is none. */
        @SuppressWarnings("restricted") // the caller runs with --enable-native-access, as documented
        private static Object link(long sysFutex) {
            Linker linker = Linker.nativeLinker();
            Optional<MemorySegment> symbol = linker.defaultLookup().find("syscall");
            if (symbol.isEmpty()) {
                return "libc's syscall() was not found";
            }
            try {
                // long syscall(long number, ...): every variadic argument is passed as a C long (the kernel
                // reads whole registers), except the pointer to the timespec.
                FunctionDescriptor descriptor = FunctionDescriptor.of(ValueLayout.JAVA_LONG,
                        ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                        ValueLayout.JAVA_LONG, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG);
                MethodHandle handle = linker.downcallHandle(symbol.get(), descriptor,
                        Linker.Option.firstVariadicArg(1), Linker.Option.captureCallState("errno"));
                return new Native(handle, sysFutex);
            } catch (RuntimeException e) {
                return "cannot link libc's syscall(): " + e;
            }
        }

        private Native(MethodHandle syscall, long sysFutex) {
            this.syscall = syscall;
            this.sysFutex = sysFutex;
        }

        static Native get() {
            Native n = INSTANCE;
            if (n == null) {
                throw new SimException(SimException.Reason.FUTEX_UNSUPPORTED, String.valueOf(FAILURE));
            }
            return n;
        }

        int errno(MemorySegment state) {
            return (int) ERRNO.get(state, 0L);
        }
    }
}
