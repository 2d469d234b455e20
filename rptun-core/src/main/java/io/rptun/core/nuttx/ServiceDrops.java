package io.rptun.core.nuttx;

import io.rptun.core.nuttx.NuttxServiceException.Reason;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;

/**
 * What a service dropped or could not do, per {@link Reason}: the peer is untrusted, so a bad message is
 * counted and logged (the first of each reason at WARN, the rest at DEBUG, so a hostile peer cannot flood
 * the log), never thrown on the serving thread. Thread-safe.
 */
public final class ServiceDrops {
    private final Map<Reason, LongAdder> counts = new EnumMap<>(Reason.class);
    private final Logger log;
    private final String service;

    ServiceDrops(Logger log, String service) {
        this.log = log;
        this.service = service;
        for (Reason r : Reason.values()) {
            counts.put(r, new LongAdder());
        }
    }

    /** How many times {@code reason} happened. */
    public long count(Reason reason) {
        return counts.get(reason).sum();
    }

    /** Every reason's count added up. */
    public long total() {
        long n = 0;
        for (LongAdder a : counts.values()) {
            n += a.sum();
        }
        return n;
    }

    void record(Reason reason, String what) {
        LongAdder a = counts.get(reason);
        boolean first = a.sum() == 0;
        a.increment();
        if (first) {
            log.warn("{}: {} ({}; later ones are logged at DEBUG)", service, what, reason);
        } else {
            log.debug("{}: {} ({})", service, what, reason);
        }
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder(service).append(" drops{");
        counts.forEach((r, a) -> {
            long n = a.sum();
            if (n > 0) {
                b.append(r).append('=').append(n).append(' ');
            }
        });
        return b.append('}').toString();
    }
}
