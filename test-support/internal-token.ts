/** The INTERNAL_TOKEN every test gives the API and the services that call it. */
export const TEST_INTERNAL_TOKEN = 'test-internal-token-0123456789abcdef';
