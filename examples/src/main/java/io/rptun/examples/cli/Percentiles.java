package io.rptun.examples.cli;

import java.util.Arrays;

/** Round-trip times in nanoseconds, summarised: min/avg/max and p50/p99/p99.9. */
final class Percentiles {
    private long[] samples = new long[1024];
    private int count;

    void add(long nanos) {
        if (count == samples.length) {
            samples = Arrays.copyOf(samples, count * 2);
        }
        samples[count++] = nanos;
    }

    int count() {
        return count;
    }

    long totalNanos() {
        long sum = 0;
        for (int i = 0; i < count; i++) {
            sum += samples[i];
        }
        return sum;
    }

    /** "min 12.1 us, avg 15.0 us, max 80.2 us; p50 14.0 us, p99 30.5 us, p99.9 70.1 us". */
    String summary() {
        if (count == 0) {
            return "no samples";
        }
        long[] s = Arrays.copyOf(samples, count);
        Arrays.sort(s);
        long sum = 0;
        for (long v : s) {
            sum += v;
        }
        return String.format("min %s, avg %s, max %s; p50 %s, p99 %s, p99.9 %s", us(s[0]), us(sum / count),
                us(s[count - 1]), us(at(s, 0.50)), us(at(s, 0.99)), us(at(s, 0.999)));
    }

    private static long at(long[] sorted, double q) {
        int i = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    private static String us(long nanos) {
        return String.format("%.1f us", nanos / 1e3);
    }
}
