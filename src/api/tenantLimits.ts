import { z } from '@hono/zod-openapi';
import { getLimitOverrides, type LimitOverrides, setLimitOverrides } from '../db/limits.js';
import type { Limits } from '../limits.js';
import type { App } from './types.js';
import { defineRoute } from './route.js';
import { jsonBody, jsonResponse, MAX_INT53, NAME_PATTERN } from './schemas.js';

const tags = ['tenants'];

const TenantParams = z.object({
  tenant: z
    .string()
    .regex(NAME_PATTERN, `must match ${NAME_PATTERN.source}`)
    .openapi({ param: { name: 'tenant', in: 'path' }, example: 'acme' }),
});

const positive = (max: number) => z.number().int().min(1).max(max);

const limitFields = {
  request_rate: positive(1_000_000).openapi({ description: 'Requests per second per API key, per process.' }),
  request_burst: positive(10_000_000).openapi({
    description: 'Requests a key may send at once before the rate applies.',
  }),
  environments: positive(100_000_000),
  log_entries: positive(MAX_INT53).openapi({ description: 'Entries per environment log.' }),
  webhooks: positive(100_000).openapi({ description: 'Webhook endpoints.' }),
};

const LimitOverridesBody = z
  .strictObject({
    request_rate: limitFields.request_rate.nullable().optional(),
    request_burst: limitFields.request_burst.nullable().optional(),
    environments: limitFields.environments.nullable().optional(),
    log_entries: limitFields.log_entries.nullable().optional(),
    webhooks: limitFields.webhooks.nullable().optional(),
  })
  .openapi('TenantLimitOverrides', { description: 'A missing or null limit uses the service’s configured default.' });

const TenantLimitsView = z
  .object({
    tenant: z.string(),
    effective: z.object(limitFields),
    overrides: z.object({
      request_rate: limitFields.request_rate.nullable(),
      request_burst: limitFields.request_burst.nullable(),
      environments: limitFields.environments.nullable(),
      log_entries: limitFields.log_entries.nullable(),
      webhooks: limitFields.webhooks.nullable(),
    }),
  })
  .openapi('TenantLimits');

const getRoute = defineRoute({
  method: 'get',
  path: '/v1/tenants/{tenant}/limits',
  operationId: 'getTenantLimits',
  summary: 'The limits in force for a tenant (admin)',
  tags,
  auth: 'admin',
  request: { params: TenantParams },
  responses: {
    200: jsonResponse(TenantLimitsView, 'Effective limits and the overrides behind them.'),
  },
});

const putRoute = defineRoute({
  method: 'put',
  path: '/v1/tenants/{tenant}/limits',
  operationId: 'setTenantLimits',
  summary: 'Replace a tenant’s limit overrides (admin)',
  description: 'Takes effect at once on this process and within ten seconds on the others.',
  tags,
  auth: 'admin',
  request: { params: TenantParams, body: jsonBody(LimitOverridesBody) },
  responses: {
    200: jsonResponse(TenantLimitsView, 'The limits now in force.'),
  },
});

export function registerTenantLimitRoutes(app: App, limits: Limits): void {
  const view = async (db: Parameters<typeof getLimitOverrides>[0], tenant: string) => {
    limits.forget(tenant);
    const effective = await limits.forTenant(tenant);
    const o = await getLimitOverrides(db, tenant);
    return {
      tenant,
      effective: {
        request_rate: effective.requestRate,
        request_burst: effective.requestBurst,
        environments: effective.environments,
        log_entries: effective.logEntries,
        webhooks: effective.webhooks,
      },
      overrides: {
        request_rate: o.requestRate,
        request_burst: o.requestBurst,
        environments: o.environments,
        log_entries: o.logEntries,
        webhooks: o.webhooks,
      },
    };
  };

  app.openapi(getRoute, async (c) => {
    const { tenant } = c.req.valid('param');
    return c.json(await view(c.get('db'), tenant), 200);
  });

  app.openapi(putRoute, async (c) => {
    const { tenant } = c.req.valid('param');
    const body = c.req.valid('json');
    const overrides: LimitOverrides = {
      requestRate: body.request_rate ?? null,
      requestBurst: body.request_burst ?? null,
      environments: body.environments ?? null,
      logEntries: body.log_entries ?? null,
      webhooks: body.webhooks ?? null,
    };
    await setLimitOverrides(c.get('db'), tenant, overrides);
    return c.json(await view(c.get('db'), tenant), 200);
  });
}
