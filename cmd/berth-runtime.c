/* berth-runtime - temporary entry point while the runtime CLI is written. */
int main(void) { return 1; }
