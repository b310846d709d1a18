import { readLeaseSeconds } from '../../dev/host/HostSettings';

describe('LOCAL_QUEUE_LEASE_SECONDS, the local host lease', () => {
  it("is the Functions host's default when unset or empty", () => {
    expect(readLeaseSeconds({})).toBeUndefined();
    expect(readLeaseSeconds({ LOCAL_QUEUE_LEASE_SECONDS: '' })).toBeUndefined();
  });

  it('takes a whole number of seconds', () => {
    expect(readLeaseSeconds({ LOCAL_QUEUE_LEASE_SECONDS: '8' })).toBe(8);
    expect(readLeaseSeconds({ LOCAL_QUEUE_LEASE_SECONDS: '604800' })).toBe(604800);
  });

  it.each(['1', '1.5', '1e2', '0x10', ' 8', 'ten', '604801'])('refuses %j, naming the setting', (text) => {
    expect(() => readLeaseSeconds({ LOCAL_QUEUE_LEASE_SECONDS: text })).toThrow(/LOCAL_QUEUE_LEASE_SECONDS/);
  });
});
