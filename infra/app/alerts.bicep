// Alerts on the runs, from the runSummary log line the app writes at the end of every run
// (src/sync/SyncLog.ts), e-mailed through one action group. The queries are tested against the
// log lines a real run writes (test/infra/KqlQueries.test.ts).
param applicationInsightsName string
param actionGroupName string
param location string
param tags object

@description('Where the alerts are e-mailed.')
param alertEmail string

@description('A completed run is expected at least this often: the timer schedule plus a margin.')
@minValue(1)
@maxValue(48)
param runCompletionHours int

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: actionGroupName
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'photosync'
    enabled: true
    emailReceivers: [
      {
        name: 'photo-sync-admin'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

var runSummaries = '''
traces
| where message startswith "{"
| extend e = parse_json(message)
| where tostring(e.event) == "runSummary"
'''

resource runFailed 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${actionGroupName}-run-failed'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'Photo sync run failed or interrupted'
    description: 'A run ended failed (listing the users broke off, planning failed) or was closed as interrupted. GET /api/runs/{runId} has its error.'
    severity: 1
    enabled: true
    scopes: [
      applicationInsights.id
    ]
    evaluationFrequency: 'PT15M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          // A run closed as interrupted (stuck) ends failed too, with errorCode interrupted.
          query: '${runSummaries}| where tostring(e.status) == "failed"\n'
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    actions: {
      actionGroups: [
        actionGroup.id
      ]
    }
  }
}

resource runOverdue 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${actionGroupName}-run-overdue'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'Photo sync run overdue'
    description: 'No run completed in the last ${runCompletionHours} hours: the timer did not fire, a run is stuck, or every run failed.'
    severity: 2
    enabled: true
    scopes: [
      applicationInsights.id
    ]
    evaluationFrequency: 'PT1H'
    windowSize: 'PT${runCompletionHours}H'
    criteria: {
      allOf: [
        {
          query: '${runSummaries}| where tostring(e.status) == "completed"\n'
          timeAggregation: 'Count'
          operator: 'LessThan'
          threshold: 1
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    actions: {
      actionGroups: [
        actionGroup.id
      ]
    }
  }
}
