package io.rptun.micrometer;

import io.rptun.core.rpmsg.RpmsgDevice;
import io.rptun.core.rpmsg.RpmsgException.Reason;
import io.rptun.core.rpmsg.RpmsgStats;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;
import org.jspecify.annotations.Nullable;

/**
 * The counters of a device, or of the devices a link had one after the other: a session that ended keeps
 * what it counted (its device's counters are frozen once it stopped), so the totals only grow across resets.
 * Gauges read the current device only.
 */
final class DeviceTotals {
    private final Supplier<@Nullable RpmsgDevice> current;
    /** The last device seen: its counters count until another one shows up. */
    private @Nullable RpmsgDevice last;
    private long retiredSent;
    private long retiredReceived;
    private long retiredKicks;
    private long retiredBytesSent;
    private long retiredBytesReceived;
    private long retiredKicksReceived;
    private long retiredPublications;
    private final Map<Reason, Long> retiredDropped = new EnumMap<>(Reason.class);

    DeviceTotals(Supplier<@Nullable RpmsgDevice> current) {
        this.current = current;
    }

    /** Looks at the current device: a new one retires the one before (call it when a session starts). */
    synchronized @Nullable RpmsgDevice observe() {
        RpmsgDevice now = current.get();
        RpmsgDevice before = last;
        if (now != null && now != before) {
            if (before != null) {
                RpmsgStats s = before.stats();
                retiredSent += s.sent();
                retiredReceived += s.received();
                retiredKicks += s.notificationsSent();
                retiredBytesSent += s.bytesSent();
                retiredBytesReceived += s.bytesReceived();
                retiredKicksReceived += s.notificationsReceived();
                retiredPublications += s.txPublications();
                s.dropped().forEach((r, n) -> retiredDropped.merge(r, n, Long::sum));
            }
            last = now;
        }
        return now;
    }

    /** The device the gauges read: the current one, or null between sessions. */
    @Nullable RpmsgDevice device() {
        return observe();
    }

    double sent() {
        return total(RpmsgStats::sent, () -> retiredSent);
    }

    double received() {
        return total(RpmsgStats::received, () -> retiredReceived);
    }

    double kicksSent() {
        return total(RpmsgStats::notificationsSent, () -> retiredKicks);
    }

    double bytesSent() {
        return total(RpmsgStats::bytesSent, () -> retiredBytesSent);
    }

    double bytesReceived() {
        return total(RpmsgStats::bytesReceived, () -> retiredBytesReceived);
    }

    double kicksReceived() {
        return total(RpmsgStats::notificationsReceived, () -> retiredKicksReceived);
    }

    double publications() {
        return total(RpmsgStats::txPublications, () -> retiredPublications);
    }

    double dropped(Reason reason) {
        return total(s -> s.dropped(reason), () -> retiredDropped.getOrDefault(reason, 0L));
    }

    private synchronized double total(ToLongFunction<RpmsgStats> of, LongSupplier retired) {
        observe();
        RpmsgDevice d = last;
        return retired.getAsLong() + (d == null ? 0 : of.applyAsLong(d.stats()));
    }
}
