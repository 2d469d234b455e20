package io.rptun.reliability;

import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;
import org.slf4j.helpers.NOPMDCAdapter;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

/**
 * An SLF4J provider for the reliability tests that prints nothing and remembers the last errors and exceptions.
 *
 * <p>Why: the library never lets an exception escape its serving threads; the RPTUN serving loop catches an
 * unexpected {@code RuntimeException} from {@code RpmsgDevice.process()}, logs it at ERROR and goes on, and a
 * throwing callback is logged at WARN with the throwable. Without a logging backend those would vanish, and
 * a hostile peer that provokes an {@code IndexOutOfBoundsException} inside the device would go unnoticed.
 * {@code HostilePeerTest} asserts that no ERROR and no WARN carrying a throwable was logged during a run.
 *
 * <p>Selected with the system property {@code slf4j.provider=io.rptun.reliability.HostileLogCapture} (set by
 * the module's surefire configuration), so it takes part only in this module's test JVM. Bounded: it keeps
 * the last {@value #KEEP} serious events (ERROR, or carrying a throwable) and a running count, so long suites
 * do not grow the heap, and a flood of plain warnings (a peer writing unknown mailbox commands) cannot push a
 * serious one out. Plain warnings are kept apart, the last {@value #KEEP} of them ({@link #warningsSince}), for
 * suites that check a warning the library owes (a channel that paused the link names itself once).
 */
public final class HostileLogCapture implements SLF4JServiceProvider {
    private static final int KEEP = 256;
    private static final Object LOCK = new Object();
    private static final List<Event> EVENTS = new ArrayList<>();
    private static final List<Event> WARNINGS = new ArrayList<>();
    private static long warnCount;
    private static long count;
    private static volatile boolean installed;

    /** One ERROR, or one WARN carrying a throwable. */
    public record Event(long number, Level level, String logger, String message, @Nullable Throwable throwable) {
        @Override
        public String toString() {
            return level + " " + logger + ": " + message + (throwable == null ? "" : " (" + throwable + ")");
        }
    }

    private final IMarkerFactory markers = new BasicMarkerFactory();
    private final MDCAdapter mdc = new NOPMDCAdapter();
    private final ILoggerFactory factory = CapturingLogger::new;

    /** True when SLF4J picked this provider (the system property was set before the first logger). */
    public static boolean isInstalled() {
        org.slf4j.LoggerFactory.getILoggerFactory(); // initialises SLF4J if nobody logged yet
        return installed;
    }

    /** The number of serious events so far: pass it to {@link #since}. */
    public static long mark() {
        synchronized (LOCK) {
            return count;
        }
    }

    /** The serious events (ERROR, or WARN with a throwable) after {@code mark} that are still kept. */
    public static List<Event> since(long mark) {
        synchronized (LOCK) {
            return EVENTS.stream().filter(e -> e.number() >= mark).toList();
        }
    }

    /** The number of WARN lines so far: pass it to {@link #warningsSince}. */
    public static long warnMark() {
        synchronized (LOCK) {
            return warnCount;
        }
    }

    /** Every WARN line (with or without a throwable) after {@code mark} that is still kept. */
    public static List<Event> warningsSince(long mark) {
        synchronized (LOCK) {
            return WARNINGS.stream().filter(e -> e.number() >= mark).toList();
        }
    }

    @Override
    public ILoggerFactory getLoggerFactory() {
        return factory;
    }

    @Override
    public IMarkerFactory getMarkerFactory() {
        return markers;
    }

    @Override
    public MDCAdapter getMDCAdapter() {
        return mdc;
    }

    @Override
    public String getRequestedApiVersion() {
        return "2.0.99";
    }

    @Override
    public void initialize() {
        installed = true;
    }

    private static void record(Level level, String logger, String message, @Nullable Throwable throwable) {
        if (level == Level.WARN) {
            synchronized (LOCK) {
                WARNINGS.add(new Event(warnCount++, level, logger, message, throwable));
                if (WARNINGS.size() > KEEP) {
                    WARNINGS.removeFirst();
                }
            }
        }
        if (level != Level.ERROR && throwable == null) {
            return;
        }
        synchronized (LOCK) {
            EVENTS.add(new Event(count++, level, logger, message, throwable));
            if (EVENTS.size() > KEEP) {
                EVENTS.removeFirst();
            }
        }
    }

    /** WARN and ERROR are "enabled" and remembered; the rest is dropped. */
    private static final class CapturingLogger extends LegacyAbstractLogger {
        private static final long serialVersionUID = 1L;

        CapturingLogger(String name) {
            this.name = name;
        }

        @Override
        public boolean isTraceEnabled() {
            return false;
        }

        @Override
        public boolean isDebugEnabled() {
            return false;
        }

        @Override
        public boolean isInfoEnabled() {
            return false;
        }

        @Override
        public boolean isWarnEnabled() {
            return true;
        }

        @Override
        public boolean isErrorEnabled() {
            return true;
        }

        @Override
        protected @Nullable String getFullyQualifiedCallerName() {
            return null;
        }

        @Override
        protected void handleNormalizedLoggingCall(Level level, @Nullable Marker marker, String pattern,
                @Nullable Object[] arguments, @Nullable Throwable throwable) {
            if (level != Level.WARN && level != Level.ERROR) {
                return;
            }
            record(level, name, MessageFormatter.basicArrayFormat(pattern, arguments), throwable);
        }
    }
}
