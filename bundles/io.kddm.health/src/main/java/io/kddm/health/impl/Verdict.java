package io.kddm.health.impl;

import org.apache.felix.hc.api.Result;

/** The outcome of one check as plain data (status and one line), turned into a Felix {@link Result}. */
record Verdict(Result.Status status, String message) {
    static Verdict ok(String message) {
        return new Verdict(Result.Status.OK, message);
    }

    static Verdict warn(String message) {
        return new Verdict(Result.Status.WARN, message);
    }

    static Verdict critical(String message) {
        return new Verdict(Result.Status.CRITICAL, message);
    }

    Result result() {
        return new Result(status, message);
    }
}
