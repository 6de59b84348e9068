import { expect } from 'chai';
import { tracingSettings } from '../../../bin/tracing-settings';

describe('tracing settings from OTEL_* variables', () => {
  it('is off with no OTEL_* variable at all', () => {
    expect(tracingSettings({}, 'baton-worker')).to.deep.include({ enabled: false });
  });

  it('is on, OTLP over http/protobuf, once an endpoint is set', () => {
    expect(tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, 'baton-worker')).to.deep.equal({
      enabled: true,
      exporters: ['otlp'],
      protocol: 'http/protobuf',
      serviceName: 'baton-worker',
    });
    expect(tracingSettings({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' }, 'x')).to.deep.include({ enabled: true });
  });

  it('is on when OTEL_TRACES_EXPORTER names an exporter, and off when it says none', () => {
    expect(tracingSettings({ OTEL_TRACES_EXPORTER: 'console' }, 'x')).to.deep.include({ enabled: true, exporters: ['console'] });
    expect(tracingSettings({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }, 'x')).to.deep.include({ enabled: false });
  });

  it('lets OTEL_SDK_DISABLED=true win over everything', () => {
    const env = { OTEL_SDK_DISABLED: 'TRUE', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'otlp' };
    expect(tracingSettings(env, 'x')).to.deep.equal({ enabled: false, reason: 'OTEL_SDK_DISABLED=true' });
  });

  it('treats empty variables as unset', () => {
    expect(tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_TRACES_EXPORTER: ' ' }, 'x')).to.deep.include({ enabled: false });
  });

  it('takes the protocol from the traces variable first, then the general one', () => {
    const base = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' };
    expect(tracingSettings({ ...base, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }, 'x')).to.deep.include({ protocol: 'http/json' });
    expect(tracingSettings({ ...base, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc' }, 'x')).to.deep.include({ protocol: 'grpc' });
  });

  it('refuses an unknown protocol or exporter, naming the variable', () => {
    expect(() => tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c', OTEL_EXPORTER_OTLP_PROTOCOL: 'http' }, 'x')).to.throw(/OTEL_EXPORTER_OTLP_PROTOCOL: unknown protocol "http"/);
    expect(() => tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'udp' }, 'x')).to.throw(/OTEL_EXPORTER_OTLP_TRACES_PROTOCOL/);
    expect(() => tracingSettings({ OTEL_TRACES_EXPORTER: 'jaeger' }, 'x')).to.throw(/OTEL_TRACES_EXPORTER: unknown exporter "jaeger"/);
  });

  it("leaves the service name to OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES when they set one", () => {
    const base = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' };
    expect(tracingSettings({ ...base, OTEL_SERVICE_NAME: 'billing-worker' }, 'baton-worker')).to.deep.include({ serviceName: undefined });
    expect(tracingSettings({ ...base, OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod, service.name=w' }, 'baton-worker')).to.deep.include({ serviceName: undefined });
    expect(tracingSettings({ ...base, OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod' }, 'baton-worker')).to.deep.include({ serviceName: 'baton-worker' });
  });
});
