package io.kddm.impl.shell;

import io.kddm.api.set.KddmSet;
import io.kddm.api.set.ObjectHandle;

/**
 * The operations of the register-and-counter workloads ({@code kddm:torture} and
 * the tests' workload), each one kDDM critical section on a 64-bit counter
 * object. The linearizability checker models exactly these.
 */
public enum CounterOp {
    /** get; returns the value */
    READ,
    /** grab, set to the argument; returns it */
    WRITE,
    /** grab, add the argument; returns the sum */
    ADD;

    public long apply(KddmSet set, long object, long argument) {
        if (this == READ) {
            try (ObjectHandle h = set.get(object)) {
                return Counter.decode(h.value());
            }
        }
        try (ObjectHandle h = set.grab(object)) {
            long result = this == WRITE ? argument : Counter.decode(h.value()) + argument;
            h.value(Counter.encode(result));
            return result;
        }
    }
}
