package io.kddm.impl.core;

/**
 * The state of an object at its home ({@link ManagerEntry}). Kerrighed's
 * manager kept only a probable owner and named no states: these names are ours,
 * used by the code, {@code kddm:objects}, the logs and the tests alike;
 * {@link StateTable} says what happens in each.
 */
enum HomeState {
    NO_OWNER("nobody owns the object: the next request is a first touch"),
    OWNED("a node owns it and no request is in flight"),
    TOUCHING("a first touch was sent to the requester (TOUCH); waiting for its DONE"),
    FORWARDED("a request went to the owner (FWD_GET, FWD_GRAB, FWD_WRITEBACK); waiting for the requester's DONE"),
    AT_HOME("the home works on it itself: a first touch from its store, or storing a written-back object"),
    RECOVERING("its owner died: the survivors are asked what they hold of it (CLAIM); requests wait"),
    LOST("its only copy died with a node: every request fails, it is never made anew");

    private final String meaning;

    HomeState(String meaning) {
        this.meaning = meaning;
    }

    String meaning() {
        return meaning;
    }
}
