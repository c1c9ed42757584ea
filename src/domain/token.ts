/** A fence token: generations never decrease, epochs strictly increase, per environment. */
export type Token = { deploy_generation: number; epoch: number };

/**
 * What a writer's token is checked against. `lastIssued` is the newest token ever issued for the
 * environment's name, kept when the environment is deleted; `current` is that token while it is
 * in force, and null before the first fence and after a delete.
 */
export type TokenState = { current: Token | null; lastIssued: Token | null };
